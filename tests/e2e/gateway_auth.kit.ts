import { randomUUID } from 'node:crypto';
import { events } from '@marketpulse/proto';
import type { Bus } from '@marketpulse/runtime';
import { expect } from 'vitest';

// Shared by the gateway auth tests: a tick on the bus the gateways consume, and an API key made
// through the REST API the way a user makes one.

/** Publishes a market_data_update for `symbol`; resolves with its event id. */
export async function publishTick(bus: Bus, symbol: string): Promise<string> {
  const time = new Date().toISOString();
  const id = randomUUID();
  await bus.publish(
    events.Event.fromPartial({
      id,
      type: 'market_data_update',
      source: 'e2e',
      subject: symbol,
      time,
      payload: { $case: 'market_data_update', market_data_update: { symbol, price: 100, volume: 1, timestamp: time } },
    }),
  );
  return id;
}

/** POST /api/v1/api-keys on the gateway at `http`, as the holder of `bearer`. */
export async function createApiKey(http: string, bearer: string, name: string, scopes: string[]): Promise<{ id: string; key: string }> {
  const res = await fetch(`${http}/api/v1/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, scopes }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; key: string };
}
