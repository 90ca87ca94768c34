// One more gateway client during a row, on one of the native door's subprotocols, subscribed as
// the receivers are: the size of the frame the gateway sends for the same data as the receivers'
// seed-002 JSON frames (issue 19's frame row): `marketpulse.v1.proto` (a binary StreamData) or
// `marketpulse.v1.compact` (a JSON array; every other message there is a JSON object).
import { once } from 'node:events';
import WebSocket from 'ws';

export type ProbedSubprotocol = 'marketpulse.v1.proto' | 'marketpulse.v1.compact';

export interface FrameProbe {
  /** Payload bytes of the first data frame received; 0 while none arrived. */
  readonly bytes: () => number;
  close(): void;
}

/** Whether a message is a data frame on `subprotocol`. */
const isData = (subprotocol: ProbedSubprotocol, data: Buffer, isBinary: boolean): boolean =>
  subprotocol === 'marketpulse.v1.proto' ? isBinary : !isBinary && data[0] === 0x5b; // '['

/** Opens the probe at `url`, sends `hello` (the receivers' subscribe) and resolves once it is acknowledged. */
export async function openFrameProbe(url: string, hello: string, subprotocol: ProbedSubprotocol): Promise<FrameProbe> {
  const ws = new WebSocket(url, [subprotocol]);
  let bytes = 0;
  let subscribed: () => void = () => {};
  const acknowledged = new Promise<void>((resolve) => (subscribed = resolve));
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isData(subprotocol, data, isBinary)) bytes ||= data.length;
    else if (!isBinary && data.toString().startsWith('{"type":"subscribed"')) subscribed();
  });
  await once(ws, 'open');
  if (ws.protocol !== subprotocol) throw new Error(`the gateway chose subprotocol "${ws.protocol}", not ${subprotocol}`);
  ws.send(hello);
  await acknowledged;
  return { bytes: () => bytes, close: () => ws.terminate() };
}
