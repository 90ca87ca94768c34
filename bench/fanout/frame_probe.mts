// One more gateway client during a row, on the native door's binary subprotocol
// (`marketpulse.v1.proto`), subscribed as the receivers are: the size of the binary frame the
// gateway sends for the same data as the receivers' JSON frames (issue 19's frame row).
import { once } from 'node:events';
import WebSocket from 'ws';

export interface FrameProbe {
  /** Payload bytes of the first binary data frame received; 0 while none arrived. */
  readonly bytes: () => number;
  close(): void;
}

/** Opens the probe at `url`, sends `hello` (the receivers' subscribe) and resolves once it is acknowledged. */
export async function openBinaryProbe(url: string, hello: string): Promise<FrameProbe> {
  const ws = new WebSocket(url, ['marketpulse.v1.proto']);
  let bytes = 0;
  let subscribed: () => void = () => {};
  const acknowledged = new Promise<void>((resolve) => (subscribed = resolve));
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) bytes ||= data.length;
    else if (data.toString().startsWith('{"type":"subscribed"')) subscribed();
  });
  await once(ws, 'open');
  if (ws.protocol !== 'marketpulse.v1.proto') throw new Error(`the gateway chose subprotocol "${ws.protocol}", not marketpulse.v1.proto`);
  ws.send(hello);
  await acknowledged;
  return { bytes: () => bytes, close: () => ws.terminate() };
}
