import { createServer, type Server } from 'node:net';

function listenOnEphemeralPort(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('a TCP server has no port');
  return address.port;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Distinct ports that were free a moment ago: all are held open together so the OS cannot hand
 * out the same one twice, then released for the child processes to bind.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let index = 0; index < count; index++) servers.push(await listenOnEphemeralPort(host));
    return servers.map(portOf);
  } finally {
    await Promise.all(servers.map(close));
  }
}
