import { randomUUID } from 'node:crypto';
import { loadGatewayConfig, startGateway, type GatewayHandle } from '@marketpulse/gateway';
import { events } from '@marketpulse/proto';
import { createBus, createLogger, type Bus } from '@marketpulse/runtime';
import { kafkaBrokers, uniqueTopicPrefix } from '@marketpulse/tests';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, type RecordingClient } from './gateway_ws_client';

// WS_DEFLATE=true: a client that negotiates permessage-deflate gets the same messages as one that
// does not, compressed on the wire, while both share one channel fed from real Kafka.

const logger = createLogger('gateway-deflate-e2e', {}, { level: 'warn' });
const prefix = uniqueTopicPrefix('gateway-deflate');

let gateway: GatewayHandle;
let publisher: Bus;

beforeAll(async () => {
  const env = { BUS: 'kafka', KAFKA_BROKERS: kafkaBrokers(), KAFKA_TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' };
  gateway = await startGateway(loadGatewayConfig({ ...env, SERVICE_NAME: 'gateway-deflate-e2e', GATEWAY_PORT: '0', WS_DEFLATE: 'true' }), {
    logger,
    api: false,
    getPrediction: () => Promise.reject(new Error('not in this test')),
  });
  await gateway.consuming;
  publisher = createBus(loadGatewayConfig({ ...env, SERVICE_NAME: 'gateway-deflate-publisher' }), logger);
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await publisher?.close();
});

const bytesRead = (c: RecordingClient) => (c.ws as unknown as { _socket: { bytesRead: number } })._socket.bytesRead;

describe('permessage-deflate', () => {
  it('a compressing client receives exactly what a plain one does, in fewer bytes', async () => {
    const url = `ws://127.0.0.1:${gateway.port}/ws`;
    const compressed = connectClient(url, { perMessageDeflate: true });
    const plain = connectClient(url, { perMessageDeflate: false });
    await Promise.all([compressed.next('connection_established'), plain.next('connection_established')]);
    expect(compressed.ws.extensions).toContain('permessage-deflate');
    expect(plain.ws.extensions).toBe('');
    const before = [bytesRead(compressed), bytesRead(plain)];

    const sent = Array.from({ length: 20 }, (_, i) =>
      events.Event.fromPartial({
        id: randomUUID(),
        type: 'system_log',
        source: 'e2e',
        subject: 'e2e',
        time: new Date().toISOString(),
        payload: {
          $case: 'system_log',
          system_log: {
            level: 'INFO',
            module: 'e2e',
            message: `line ${i}: ${'the same words again and again '.repeat(40)}`,
            service: 'e2e',
          },
        },
      }),
    );
    await publisher.publish(sent);

    for (const client of [compressed, plain]) {
      for (let i = 0; i < sent.length; i++) await client.next('system_log', 20_000);
    }
    expect(compressed.all('system_log').map((m) => m.id)).toEqual(sent.map((e) => e.id));
    expect(compressed.all('system_log')).toEqual(plain.all('system_log'));
    expect(compressed.all('system_log')[3]).toMatchObject({
      data: { level: 'INFO', message: expect.stringMatching(/^line 3: the same words/) },
    });

    const compressedBytes = bytesRead(compressed) - before[0]!;
    const plainBytes = bytesRead(plain) - before[1]!;
    expect(compressedBytes).toBeLessThan(plainBytes / 5);
    compressed.close();
    plain.close();
  });
});
