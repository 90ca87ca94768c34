import { createLogger } from '@marketpulse/runtime';
import { loadGatewayConfig, startGateway, type GatewayHandle } from '@marketpulse/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

// Issue 6: "a client that stops reading is disconnected while 100 others keep receiving on time".
// 101 real sockets on one channel; one stops reading. The publisher never runs more than
// LAG_BOUND messages ahead of the slowest of the 100 readers: had a broadcast waited on the
// stalled client, the readers would stall too and the bounded wait would fail.

const logger = createLogger('slow-client-test', {}, { level: 'silent' });
const READERS = 100;
const COUNT = 1600;
const PAD = 8 * 1024; // 1,600 × 8 KiB ≈ 13 MB, well past the stalled client's socket buffers
const BURST = 10; // 80 KiB per burst: under WS_SEND_QUEUE_BYTES, so a reading client is never "slow"
const LAG_BOUND = 200;

interface Reader {
  ws: WebSocket;
  ids: number[];
  closed: Promise<number>;
}

function open(url: string): Promise<Reader> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const reader: Reader = { ws, ids: [], closed: new Promise((r) => ws.once('close', (code) => r(code))) };
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer) => {
      // Only the head is parsed: 100 clients × 13 MB would otherwise cost more than the gateway.
      const m = /"seq":(\d+)/.exec(data.subarray(0, 400).toString());
      if (m) reader.ids.push(Number(m[1]));
      else if (data.subarray(0, 40).toString().includes('"connected"')) resolve(reader);
    });
    ws.once('close', () => reject(new Error('closed before connected')));
  });
}

async function until(pred: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('a client that stops reading', () => {
  let gw: GatewayHandle;

  beforeAll(async () => {
    const config = loadGatewayConfig({ BUS: 'memory', GATEWAY_PORT: '0', LOG_LEVEL: 'silent', KAFKA_TOPIC_PREFIX: `slow.${Date.now()}.`, WS_SEND_QUEUE_BYTES: String(256 * 1024) });
    gw = await startGateway(config, { logger, getPrediction: () => Promise.reject(new Error('unused')), api: false });
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('is closed with 4002 while 100 readers on its channel receive every message in order, never held back', async () => {
    const url = `ws://127.0.0.1:${gw.port}/ws/market-data/AAPL`;
    const readers = await Promise.all(Array.from({ length: READERS }, () => open(url)));
    const stalled = await open(url);
    (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();

    const pad = 'x'.repeat(PAD);
    for (let seq = 1; seq <= COUNT; seq++) {
      gw.hub.publish(['market-data:AAPL'], {
        id: `evt-${seq}`,
        type: 'market_data_update',
        source: 'test',
        subject: 'AAPL',
        time: new Date().toISOString(),
        traceId: '',
        data: { seq, symbol: 'AAPL', price: seq, pad },
      });
      if (seq % BURST === 0) await new Promise((r) => setTimeout(r, 2));
      if (seq % 100 === 0) {
        const floor = seq - LAG_BOUND;
        await until(() => readers.every((r) => r.ids.length >= floor), `every reader to be within ${LAG_BOUND} messages of message ${seq}`, 15_000);
      }
    }
    expect(readers.filter((r) => r.ws.readyState !== WebSocket.OPEN)).toHaveLength(0);
    await until(() => readers.every((r) => r.ids.length === COUNT), `all ${COUNT} messages at every reader`, 30_000);
    for (const r of readers) expect(r.ids).toEqual(Array.from({ length: COUNT }, (_, i) => i + 1));

    (stalled.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await stalled.closed).toBe(4002);
    expect(stalled.ids.length).toBeLessThan(COUNT);
    const stats = (await (await fetch(`http://127.0.0.1:${gw.port}/ws/stats`)).json()) as { limits: { slow_disconnects: number } };
    expect(stats.limits.slow_disconnects).toBe(1);
    for (const r of readers) r.ws.close();
  }, 120_000);
});
