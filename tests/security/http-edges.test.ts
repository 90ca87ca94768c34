import { randomUUID } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '@marketpulse/gateway';
import { rawRequest, type RawAnswer } from '../e2e/raw_http';
import { addressesOf, SECRET, startApiUnderTest, startFakeServices, tokenFor, type ApiUnderTest, type FakeServices } from '../e2e/api.kit';

// Issue "HTTP edges" (engineer H): what an outside attacker sent to a running gateway and got a
// crash, a 500 or a code outside the error table for. Each case failed on the code as it was:
// - `GET // HTTP/1.1` (or `//[`) threw from the request listener and ended the process;
// - a /trpc call without a JSON Content-Type (or OPTIONS without CORS) answered 500 INTERNAL;
// - a /trpc body or ?input= that is not JSON answered INVALID_ARGUMENT, REST MALFORMED_BODY;
// - a batch written `/trpc/a%2Cb%2Cc?batch=1` was charged as one call to the rate limit;
// - a gzip (or br, or unknown) Content-Encoding was ignored and the bytes parsed as JSON;
// - bytes that are not UTF-8 in a REST body were stored as U+FFFD;
// - a token that may read only market-data:AAPL created a webhook receiving every symbol's ticks
//   and every system error (a webhook is a standing read, so it was a wider grant than the token);
// - a tRPC subscription whose client stopped reading kept up to 10 000 events of any size in the
//   gateway's memory (a few hundred paused streams of one credential: gigabytes).

let fakes: FakeServices;
let api: ApiUnderTest;

beforeAll(async () => {
  fakes = await startFakeServices();
  // A small burst, so a batch of a dozen calls is over it; each test uses its own user (budget).
  api = await startApiUnderTest(addressesOf(fakes), {
    API_RATE_LIMIT_BURST: '10',
    API_RATE_LIMIT_PER_MINUTE: '10',
    TRPC_MAX_SUBSCRIPTIONS_PER_USER: '2',
  });
});

afterAll(async () => {
  await api?.close();
  await fakes?.stopAll();
});

function send(method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<RawAnswer> {
  return rawRequest(new URL(path, `http://127.0.0.1:${api.gateway.port}`), method, { headers, body });
}

/** `target` sent as the request line is, on a fresh connection to the gateway's own server; the status line and body back. */
function rawGet(target: string): Promise<{ statusLine: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(api.gateway.port, '127.0.0.1', () =>
      socket.end(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
    );
    let answer = '';
    socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
    socket.on('close', () => {
      const split = answer.indexOf('\r\n\r\n');
      resolve({ statusLine: answer.split('\r\n')[0] ?? '', body: split < 0 ? '' : answer.slice(split + 4) });
    });
    socket.on('error', reject);
  });
}

/** The `error.code` of a REST answer or of a (non-batch) tRPC answer. */
const codeOf = (answer: RawAnswer): string | undefined => answer.body?.error?.data?.code ?? answer.body?.error?.code;

describe('request targets', () => {
  it('answers a target no URL parser accepts with 400 MALFORMED_URL, and the gateway keeps serving', async () => {
    for (const target of ['//', '//[', 'http://[', '//user@[::1']) {
      const answer = await rawGet(target);
      expect(answer.statusLine, target).toBe('HTTP/1.1 400 Bad Request');
      expect(JSON.parse(answer.body).error.code, target).toBe('MALFORMED_URL');
    }
    expect((await send('GET', '/info')).status).toBe(200);
  });

  it('never answers 5xx (or nothing) to a target made of URL-significant characters', async () => {
    const piece = fc.constantFrom(
      '/',
      '//',
      '[',
      ']',
      '@',
      ':',
      '%',
      '%zz',
      '%00',
      '%2F',
      '%2C',
      '..',
      '?',
      '#',
      '\\',
      'api',
      'trpc',
      'v1',
      'a',
      '*',
    );
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 12 }), async (pieces) => {
        const target = pieces.join('');
        const { statusLine } = await rawGet(target);
        expect(statusLine, target).toMatch(/^HTTP\/1\.1 [1-4]\d\d /);
      }),
      { seed: 4242, numRuns: 150 },
    );
    expect((await send('GET', '/info')).status).toBe(200);
  });
});

describe('tRPC answers every refusal with a row of the error table', () => {
  const token = tokenFor('trpc-refusals');
  const auth = { authorization: `Bearer ${token}` };

  it('a body without a JSON Content-Type is 400 UNSUPPORTED_MEDIA_TYPE, never 500', async () => {
    for (const headers of [{ ...auth, 'content-type': 'text/plain' }, auth]) {
      const answer = await send('POST', '/trpc/webhooks.create', headers, '{}');
      expect(answer.status, JSON.stringify(headers)).toBe(400);
      expect(codeOf(answer)).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('a method tRPC does not serve is 405 METHOD_NOT_ALLOWED with Allow: GET, POST', async () => {
    for (const method of ['OPTIONS', 'DELETE', 'PATCH']) {
      const answer = await send(method, '/trpc/webhooks.create', auth);
      expect(answer.status, method).toBe(405);
      expect(answer.headers.allow).toBe('GET, POST');
      expect(codeOf(answer)).toBe('METHOD_NOT_ALLOWED');
    }
  });

  it('a body or ?input= that is not JSON is MALFORMED_BODY, as on REST', async () => {
    const body = await send('POST', '/trpc/webhooks.create', { ...auth, 'content-type': 'application/json' }, '{"url":');
    const input = await send('GET', `/trpc/webhooks.list?input=${encodeURIComponent('{')}`, auth);
    const rest = await send('POST', '/api/v1/webhooks', { ...auth, 'content-type': 'application/json' }, '{"url":');
    for (const answer of [body, input, rest]) {
      expect(answer.status).toBe(400);
      expect(codeOf(answer)).toBe('MALFORMED_BODY');
    }
  });
});

describe('tRPC batches are counted as tRPC splits them', () => {
  /** `n` calls joined by a percent-encoded comma: tRPC decodes the path before splitting it. */
  const encodedBatch = (n: number) =>
    `/trpc/${Array.from({ length: n }, () => 'monitoring.status').join('%2C')}?batch=1&input=${encodeURIComponent(
      JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [i, {}]))),
    )}`;

  it('refuses 21 calls joined by %2C with BATCH_TOO_LARGE', async () => {
    const answer = await send('GET', encodedBatch(21), { authorization: `Bearer ${tokenFor('batch-size')}` });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'BATCH_TOO_LARGE', details: { max_batch_size: 20 } });
  });

  it('charges each call joined by %2C to the rate limit', async () => {
    // 12 calls: within TRPC_MAX_BATCH_SIZE, over the burst of 10 this gateway allows.
    const answer = await send('GET', encodedBatch(12), { authorization: `Bearer ${tokenFor('batch-charge')}` });
    expect(answer.status).toBe(429);
    expect(answer.body.error.code).toBe('RATE_LIMITED');
  });
});

describe('bodies the gateway cannot read as JSON text', () => {
  const token = tokenFor('bodies');
  const json = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const hook = JSON.stringify({ url: 'https://example.com/hook', events: ['prediction_complete'] });

  it('refuses a content-coded body (gzip, br, unknown) with UNSUPPORTED_MEDIA_TYPE on REST and tRPC, unread', async () => {
    const cases: [string, string, string | Buffer][] = [
      ['POST /api/v1/webhooks', 'gzip', gzipSync(hook)],
      ['POST /trpc/webhooks.create', 'gzip', gzipSync(hook)],
      ['POST /api/v1/webhooks', 'br', hook],
      ['POST /api/v1/webhooks', 'x-unknown', hook],
    ];
    for (const [route, coding, body] of cases) {
      const [method, path] = route.split(' ') as [string, string];
      const answer = await send(method, path, { ...json, 'content-encoding': coding }, body);
      expect(answer.status, `${route} ${coding}`).toBe(400);
      expect(codeOf(answer), `${route} ${coding}`).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(answer.body.error.message).toContain('Content-Encoding');
    }
    expect((await send('GET', '/api/v1/webhooks', json)).body).toEqual([]);
    // identity is no coding at all.
    expect((await send('POST', '/api/v1/webhooks', { ...json, 'content-encoding': 'identity' }, hook)).status).toBe(201);
  });

  it('refuses bytes that are not UTF-8 with MALFORMED_BODY and stores nothing', async () => {
    const user = { ...json, authorization: `Bearer ${tokenFor('not-utf8')}` };
    const latin1 = Buffer.from('{"url":"https://example.com/caf\xe9","events":["prediction_complete"]}', 'latin1');
    const answer = await send('POST', '/api/v1/webhooks', user, latin1);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('MALFORMED_BODY');
    expect((await send('GET', '/api/v1/webhooks', user)).body).toEqual([]);
  });
});

describe('a webhook reaches no further than the credential that points it', () => {
  const hook = (events: string[], subjects?: string[]) =>
    JSON.stringify({ url: 'https://example.com/hook', events, ...(subjects ? { subjects } : {}) });
  /** Headers of a token that may read market-data:AAPL only (one user per test: each has its own rate budget). */
  const aaplOnly = async (subject: string) => {
    const token = await mintToken({
      secret: SECRET,
      subject,
      scopes: ['read', 'webhooks:write'],
      channels: ['market-data:AAPL'],
      ttlSeconds: 600,
    });
    return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  };

  it('creates a webhook within the channels of the credential, and refuses one beyond them with CHANNEL_FORBIDDEN', async () => {
    const aapl = await aaplOnly('aapl-creator');
    expect((await send('POST', '/api/v1/webhooks', aapl, hook(['market_data_update'], ['AAPL']))).status).toBe(201);
    const beyond: [string[], string[] | undefined, string][] = [
      [['market_data_update'], undefined, 'market-data:*'],
      [['market_data_update'], ['AAPL', 'MSFT'], 'market-data:MSFT'],
      [['system_error'], undefined, 'system'],
      [['*'], ['AAPL'], 'alerts'],
    ];
    for (const [events, subjects, channel] of beyond) {
      const answer = await send('POST', '/api/v1/webhooks', aapl, hook(events, subjects));
      expect(answer.status, `${events} ${subjects}`).toBe(403);
      expect(answer.body.error.code).toBe('CHANNEL_FORBIDDEN');
      expect(answer.body.error.details.channels).toContain(channel);
    }
    const mine = (await send('GET', '/api/v1/webhooks', aapl)).body as { subjects: string[] }[];
    expect(mine.map((w) => w.subjects)).toEqual([['AAPL']]);
  });

  it('refuses a PATCH that widens the events or subjects of a webhook beyond the credential', async () => {
    const aapl = await aaplOnly('aapl-patcher');
    const created = await send('POST', '/api/v1/webhooks', aapl, hook(['market_data_update'], ['AAPL']));
    const path = `/api/v1/webhooks/${created.body.id as string}`;
    for (const change of [{ subjects: [] }, { events: ['prediction_complete'] }, { events: ['market_data_update'], subjects: ['TSLA'] }]) {
      const answer = await send('PATCH', path, aapl, JSON.stringify(change));
      expect(answer.status, JSON.stringify(change)).toBe(403);
      expect(answer.body.error.code).toBe('CHANNEL_FORBIDDEN');
    }
    expect((await send('PATCH', path, aapl, JSON.stringify({ description: 'still AAPL' }))).status).toBe(200);
    expect((await send('GET', path, aapl)).body).toMatchObject({ events: ['market_data_update'], subjects: ['AAPL'] });
  });

  it('lets a credential that reads every channel subscribe to every event', async () => {
    const everything = { authorization: `Bearer ${tokenFor('reads-all')}`, 'content-type': 'application/json' };
    expect((await send('POST', '/api/v1/webhooks', everything, hook(['*']))).status).toBe(201);
  });
});

/** Publishes an equity_update on `portfolio` straight into the hub; its id. */
const publish = (note: string) => {
  const id = randomUUID();
  api.hub.publish(['portfolio', 'events'], {
    id,
    type: 'equity_update',
    source: 'test',
    subject: '',
    time: new Date().toISOString(),
    owner: '',
    traceId: '',
    data: { total_equity: '1.00', note },
  });
  return id;
};

describe('a tRPC subscription whose client stops reading', () => {
  it('is ended with SUBSCRIBER_TOO_SLOW once about 1 MiB waits for it, instead of holding every event', async () => {
    const input = encodeURIComponent(JSON.stringify({ channels: ['portfolio'] }));
    const res = await new Promise<IncomingMessage>((resolve, reject) =>
      request(`http://127.0.0.1:${api.gateway.port}/trpc/streams.events?input=${input}`, {
        headers: { authorization: `Bearer ${tokenFor('paused-reader')}` },
      })
        .on('response', resolve)
        .on('error', reject)
        .end(),
    );
    expect(res.statusCode).toBe(200);
    let text = '';
    let ended = false;
    const progress: (() => void)[] = [];
    res.on('data', (c: Buffer) => ((text += c.toString('utf8')), progress.splice(0).forEach((wake) => wake())));
    res.once('end', () => ((ended = true), progress.splice(0).forEach((wake) => wake())));
    /** Resolves once `done()` holds, checked on every chunk and at the end of the stream. */
    const until = async (done: () => boolean) => {
      while (!done() && !ended) await new Promise<void>((wake) => progress.push(wake));
    };
    // Subscribed once a marker comes through (the generator subscribes after the headers went out).
    let marker: string | undefined;
    for (let i = 0; i < 200 && marker === undefined; i++) {
      const id = publish('marker');
      await new Promise((resolve) => setTimeout(resolve, 25));
      if (text.includes(id)) marker = id;
    }
    expect(marker).toBeDefined();
    res.pause();
    const total = 2000;
    // 2000 events of 8 KB: 16 MB, past the socket buffers and the 1 MiB bound, far below 10 000 events.
    for (let i = 0; i < total; i++) publish('x'.repeat(8000));
    res.resume();
    const delivered = () => text.split('\n').filter((line) => line.startsWith('data: ') && line.includes('"note":"xxx')).length;
    await until(() => text.includes('SUBSCRIBER_TOO_SLOW') || delivered() >= total);
    res.destroy();
    expect(text).toContain('SUBSCRIBER_TOO_SLOW');
    expect(delivered()).toBeLessThan(total);
  }, 60_000);
});

describe('tRPC subscriptions of one user', () => {
  /** Opens streams.events for `user`; resolves with a handle once the response started. */
  async function open(user: string) {
    const input = encodeURIComponent(JSON.stringify({ channels: ['portfolio'] }));
    const res = await new Promise<IncomingMessage>((resolve, reject) =>
      request(`http://127.0.0.1:${api.gateway.port}/trpc/streams.events?input=${input}`, {
        headers: { authorization: `Bearer ${tokenFor(user)}` },
      })
        .on('response', resolve)
        .on('error', reject)
        .end(),
    );
    let text = '';
    let ended = false;
    const wakes: (() => void)[] = [];
    res.on('data', (c: Buffer) => ((text += c.toString('utf8')), wakes.splice(0).forEach((wake) => wake())));
    res.once('end', () => ((ended = true), wakes.splice(0).forEach((wake) => wake())));
    return {
      text: () => text,
      /** Resolves once `done()` holds or the stream ended. */
      until: async (done: () => boolean) => {
        while (!done() && !ended) await new Promise<void>((wake) => wakes.push(wake));
      },
      close: () => res.destroy(),
    };
  }
  /** Publishes marker events until `stream` shows one (it is subscribed then). */
  async function subscribed(stream: { text: () => string }): Promise<boolean> {
    for (let i = 0; i < 200; i++) {
      const id = publish('marker');
      await new Promise((resolve) => setTimeout(resolve, 25));
      if (stream.text().includes(id)) return true;
    }
    return false;
  }

  it('holds at most TRPC_MAX_SUBSCRIPTIONS_PER_USER open; one more is TOO_MANY_SUBSCRIPTIONS until one ends', async () => {
    const first = await open('many-streams');
    const second = await open('many-streams');
    expect(await subscribed(first)).toBe(true);
    expect(await subscribed(second)).toBe(true);
    const third = await open('many-streams');
    await third.until(() => third.text().includes('TOO_MANY_SUBSCRIPTIONS'));
    expect(third.text()).toContain('TOO_MANY_SUBSCRIPTIONS');
    third.close();
    // Another user is not counted against this one.
    const other = await open('someone-else');
    expect(await subscribed(other)).toBe(true);
    other.close();
    // Once one ends, its slot is free again (the server sees the close when it next writes to it).
    first.close();
    let again: Awaited<ReturnType<typeof open>> | undefined;
    for (let i = 0; i < 100 && !again; i++) {
      const attempt = await open('many-streams');
      if (await subscribed(attempt)) again = attempt;
      else attempt.close();
    }
    expect(again).toBeDefined();
    again?.close();
    second.close();
  }, 60_000);
});
