// Shared by the benchmarks: a free loopback port for a server a run starts.
import { createServer } from 'node:net';

/** A port free on 127.0.0.1 right now (the OS picks it; the probe closes before it is used). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const { port } = srv.address() as { port: number };
  await new Promise((resolve) => srv.close(resolve));
  return port;
}
