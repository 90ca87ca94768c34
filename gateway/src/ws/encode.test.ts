import { describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { jsonFrame } from './encode';

interface WsReceiver {
  on(event: string, listener: (...args: never[]) => void): void;
  write(chunk: Buffer): void;
}
// ws exports its frame parser, though its type definitions do not declare it.
const Receiver = (ws as unknown as { Receiver: new (options: object) => WsReceiver }).Receiver;

/** Parses frames with ws's own receiver, an implementation independent of ours. */
function parse(wire: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const receiver = new Receiver({ isServer: false });
    receiver.on('message', (data: Buffer, isBinary: boolean) => (isBinary ? reject(new Error('binary')) : resolve(data.toString())));
    receiver.on('error', reject);
    receiver.write(wire);
  });
}

describe('Frame', () => {
  it.each([10, 200, 70_000])('is a text frame a WebSocket client reads back (%i byte payload)', async (size) => {
    const message = { type: 'market_data_update', pad: 'x'.repeat(size) };
    const frame = jsonFrame(message);
    expect(JSON.parse(await parse(frame.wire))).toEqual(message);
    expect(frame.wire).toBe(frame.wire);
  });
});
