/**
 * Questions and notes between the primary and its workers over the cluster's IPC channel. Each
 * side asks only once the other is listening: a message that reaches a process before it listens
 * is lost (Node drops it), so a worker asks first, and the primary asks only workers that said
 * they are ready.
 */

/** One side of the channel: the primary's `Worker`, or a worker's `process`. */
export interface Channel {
  /** Calls back with the error when the message could not be sent (the other side is gone), instead of emitting it. */
  send(message: unknown, callback: (error: Error | null) => void): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
}

interface Asked {
  type: 'gateway:ask';
  id: number;
  kind: string;
}

interface Answered {
  type: 'gateway:answer';
  id: number;
  answer?: unknown;
  error?: string;
}

interface Told {
  type: 'gateway:note';
  note: unknown;
}

type Message = Asked | Answered | Told;

function isMessage(message: unknown): message is Message {
  const type = (message as { type?: unknown } | null)?.type;
  return type === 'gateway:ask' || type === 'gateway:answer' || type === 'gateway:note';
}

/** What a side answers, by the kind of question: a function per kind. */
export type Answerers<Questions> = { [Kind in keyof Questions]: () => Promise<Questions[Kind]> };

/**
 * One end of the channel: asks the other side the questions of `Asks` (each answered once, or
 * failed when it takes longer than its time, or the other side is gone), answers the ones of
 * `Answers`, and tells and hears one-way notes.
 */
export class Peer<Asks, Answers, Tells, Hears> {
  readonly #channel: Channel;
  readonly #pending = new Map<number, { resolve: (answer: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  #nextId = 0;

  constructor(channel: Channel, answerers: Answerers<Answers>, hear: (note: Hears) => void) {
    this.#channel = channel;
    channel.on('message', (message) => {
      if (!isMessage(message)) return;
      if (message.type === 'gateway:note') hear(message.note as Hears);
      else if (message.type === 'gateway:answer') this.#settle(message);
      else this.#answer(message, answerers);
    });
    channel.on('disconnect', () => {
      for (const id of this.#pending.keys()) this.#settle({ type: 'gateway:answer', id, error: 'the other process is gone' });
    });
  }

  ask<Kind extends keyof Asks & string>(kind: Kind, timeoutMs: number): Promise<Asks[Kind]> {
    const id = this.#nextId++;
    return new Promise<Asks[Kind]>((resolve, reject) => {
      const timer = setTimeout(() => this.#settle({ type: 'gateway:answer', id, error: `no answer to "${kind}" within ${timeoutMs} ms` }), timeoutMs);
      this.#pending.set(id, { resolve: resolve as (answer: unknown) => void, reject, timer });
      this.#send({ type: 'gateway:ask', id, kind } satisfies Asked, (error) => this.#settle({ type: 'gateway:answer', id, error: error.message }));
    });
  }

  /** Tells the other side, if it is still there. */
  tell(note: Tells): void {
    this.#send({ type: 'gateway:note', note } satisfies Told);
  }

  /** Sends unless the other side is gone (a channel's send error, unheard, would end this process). */
  #send(message: Message, failed: (error: Error) => void = () => {}): void {
    this.#channel.send(message, (error) => {
      if (error) failed(error);
    });
  }

  #settle(message: Answered): void {
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.error === undefined) pending.resolve(message.answer);
    else pending.reject(new Error(message.error));
  }

  #answer(message: Asked, answerers: Answerers<Answers>): void {
    const answerer = (answerers as Record<string, (() => Promise<unknown>) | undefined>)[message.kind];
    const answered = Promise.resolve().then(() => {
      if (!answerer) throw new Error(`no answer to "${message.kind}" here`);
      return answerer();
    });
    answered.then(
      (answer) => this.#send({ type: 'gateway:answer', id: message.id, answer } satisfies Answered),
      (error: unknown) => this.#send({ type: 'gateway:answer', id: message.id, error: error instanceof Error ? error.message : String(error) } satisfies Answered),
    );
  }
}
