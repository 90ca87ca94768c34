import { describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { capturedLog } from '../testing/captured_log.testkit';
import { inProcessGateways } from '../testing/in_process_gateway.testkit';

// A refusal quotes what the client sent (a token's `alg`, a message type): to the client and to the
// log, never more than a line of it. Quoted whole, a 900 KB token made a 700 KB log line per refused
// connection, 27 MiB of log in 1.4 s from one unauthenticated client (a helper, session 23).

const { gateway, sockets } = inProcessGateways({ name: 'refusal-detail', env: { JWT_SECRET: 'refusal-detail-secret-0123456789' } });

/** A JWT nobody signed whose header names an algorithm `length` characters long. */
function tokenWithAlg(length: number): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: `X${'A'.repeat(length)}`, typ: 'JWT' })}.${part({ sub: 'mallory' })}.c2ln`;
}

describe('a refused credential', () => {
  it("quotes a token's algorithm in at most a line, in the reply and in the log", async () => {
    const { lines, logger } = capturedLog('refusal-detail-test');
    const gw = await gateway({}, { logger });
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/ws/stream`);
    sockets.push(ws);
    const replies: { type: string; data?: { error?: string } }[] = [];
    ws.on('message', (raw) => replies.push(JSON.parse(String(raw)) as (typeof replies)[number]));
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await new Promise((resolve) => ws.on('open', resolve));
    ws.send(JSON.stringify({ type: 'auth', data: { token: tokenWithAlg(300_000) } }));
    expect(await closed).toBe(1008);
    const reply = replies.find((r) => r.type === 'auth_failed');
    expect(reply?.data?.error).toMatch(/^JWT algorithm "?XAAA/);
    expect(JSON.stringify(reply).length).toBeLessThan(400);
    await vi.waitFor(() => expect(lines.some((l) => l.event === 'websocket.refused')).toBe(true));
    const refused = lines.find((l) => l.event === 'websocket.refused')!;
    expect(String(refused.reason)).toMatch(/^JWT algorithm "?XAAA/);
    expect(JSON.stringify(refused).length).toBeLessThan(1_000);
  });
});
