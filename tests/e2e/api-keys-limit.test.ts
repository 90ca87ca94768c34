import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiUnderTest, tokenFor, type ApiUnderTest } from './api.kit';

// API_KEYS_MAX_PER_USER through the gateway's HTTP API on PostgreSQL, where creates at once run on
// separate connections: only the per-user turn (an advisory lock) keeps them under the cap.

const MAX = 5;
let api: ApiUnderTest;

beforeAll(async () => {
  // No service is called: API keys live in the gateway's own database.
  api = await startApiUnderTest({}, { API_KEYS_MAX_PER_USER: String(MAX) });
});
afterAll(async () => api?.close());

async function call(method: string, path: string, user: string, body?: unknown) {
  const res = await fetch(`${api.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${tokenFor(user)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as any) : undefined };
}

const createKey = (user: string) => call('POST', '/api/v1/api-keys', user, { name: 'ci', scopes: ['read'] });

describe('API keys per user', () => {
  it('of 8 created at once, 5 are made and 3 refused with 429 TOO_MANY_API_KEYS; a revoke makes room for one', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => createKey('carol')));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 201, 201, 201, 429, 429, 429]);
    for (const refused of answers.filter((a) => a.status === 429)) {
      expect(refused.body.error).toMatchObject({ code: 'TOO_MANY_API_KEYS', details: { max_api_keys: String(MAX) } });
      expect(refused.body.error.message).toContain('revoke one');
    }
    const listed = await call('GET', '/api/v1/api-keys', 'carol');
    expect(listed.body).toHaveLength(MAX);

    // Another user's keys are their own count.
    expect((await createKey('dave')).status).toBe(201);

    const first = answers.find((a) => a.status === 201)!.body.id as string;
    expect((await call('DELETE', `/api/v1/api-keys/${first}`, 'carol')).status).toBe(204);
    expect((await createKey('carol')).status).toBe(201);
    const again = await createKey('carol');
    expect(again.status).toBe(429);
    expect(again.body.error.code).toBe('TOO_MANY_API_KEYS');
  });
});
