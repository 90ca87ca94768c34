import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { GatewayHandle } from '../service';
import { inProcessGateways } from '../testing/in_process_gateway.testkit';

// Issue 16: a browser must learn why a door will never speak. A refused handshake is 1006 with no
// reason to it, and a door for a symbol nobody publishes used to stay silent for ever.

const started = inProcessGateways({ name: 'unknown-symbol' });
const sockets = started.sockets;
const gateway = (listSymbols: () => Promise<readonly string[]>): Promise<GatewayHandle> => started.gateway({}, { listSymbols });

/** Every message until the close, and the close code and reason. */
function session(gw: GatewayHandle, path: string): Promise<{ messages: Array<Record<string, unknown>>; code: number; reason: string }> {
  const ws = new WebSocket(`ws://127.0.0.1:${gw.port}${path}`);
  sockets.push(ws);
  const messages: Array<Record<string, unknown>> = [];
  ws.on('message', (d) => messages.push(JSON.parse(String(d)) as Record<string, unknown>));
  ws.on('error', () => undefined);
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ messages, code, reason: String(reason) })));
}

describe('doors a browser can act on', () => {
  it('closes a symbol door for a symbol market-data does not carry with 4005, after an error listing the symbols', async () => {
    const gw = await gateway(async () => ['AAPL', 'MSFT']);
    for (const door of ['market-data', 'predictions']) {
      const { messages, code, reason } = await session(gw, `/ws/${door}/NOPE`);
      expect(code).toBe(4005);
      expect(reason).toBe('unknown symbol');
      const error = messages.find((m) => m.type === 'error')!;
      expect(error).toMatchObject({ code: 'UNKNOWN_SYMBOL' });
      expect(String(error.message)).toContain('AAPL, MSFT');
    }
  });

  it('keeps a known symbol open', async () => {
    const gw = await gateway(async () => ['AAPL']);
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/ws/market-data/aapl`);
    sockets.push(ws);
    const first = await new Promise<Record<string, unknown>>((resolve) =>
      ws.once('message', (d) => resolve(JSON.parse(String(d)) as Record<string, unknown>)),
    );
    expect(first).toMatchObject({ type: 'connected', symbol: 'AAPL' });
    // Still open once the catalog answered: a ping round trip proves it.
    ws.send(JSON.stringify({ type: 'pong' }));
    await new Promise((r) => setTimeout(r, 50));
    expect(ws.readyState).toBe(WebSocket.OPEN);
  });

  it('keeps a door open when market-data cannot be asked (an outage is not an unknown symbol)', async () => {
    const gw = await gateway(() => Promise.reject(new Error('unavailable')));
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/ws/market-data/ZZZ`);
    sockets.push(ws);
    await new Promise((resolve) => ws.once('message', resolve));
    await new Promise((r) => setTimeout(r, 50));
    expect(ws.readyState).toBe(WebSocket.OPEN);
  });

  it('opens and closes an invalid symbol with 4005 and an INVALID_SYMBOL error (was a 404 handshake)', async () => {
    const gw = await gateway(async () => ['AAPL']);
    const { messages, code } = await session(gw, '/ws/market-data/%24%24%24');
    expect(code).toBe(4005);
    expect(messages[0]).toMatchObject({ type: 'error', code: 'INVALID_SYMBOL' });
  });

  it('opens and closes an unknown door with 4004, naming the doors', async () => {
    const gw = await gateway(async () => ['AAPL']);
    const { messages, code, reason } = await session(gw, '/ws/nothing-here');
    expect(code).toBe(4004);
    expect(reason).toBe('unknown endpoint');
    expect(messages[0]).toMatchObject({ type: 'error', code: 'UNKNOWN_ENDPOINT' });
    expect(String(messages[0]!.message)).toContain('/ws/stream');
  });
});
