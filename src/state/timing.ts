/** How a promise ended, as a value: lets the caller act after it whatever happened, then pass it on. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Never throws, not even synchronously, so cleanup after `work` cannot be skipped. */
export async function settle<T>(work: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * The value of `promise` if it settles before `deadline` (epoch ms), else undefined; a rejection
 * passes through. Something already settled wins even when the deadline has passed.
 */
export async function settleBefore<T>(promise: Promise<T>, deadline: number): Promise<{ value: T } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([promise.then((value) => ({ value })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * 25–50 ms between looks at a key someone else holds: short next to a request's budget, and jittered
 * so that processes waiting on one key do not ask Redis in lockstep.
 */
export function pollDelayMs(): number {
  return 25 + Math.random() * 25;
}

/**
 * Durations are whole milliseconds (Redis's PX takes nothing else); both implementations refuse the
 * same values, and a NaN wait cannot turn into waiting forever.
 */
export function requireMs(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be a whole number of milliseconds, at least ${min}, not ${value}`);
  }
}
