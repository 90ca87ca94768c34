import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressesOf, startApiUnderTest, startFakeServices, type ApiUnderTest, type FakeServices } from '../e2e/api.kit';

// The OpenAPI document the gateway serves: valid OpenAPI 3, every REST path of DESIGN.md and the
// seeds listed with its method, one error shape, and the docs pages served without any CDN.

const SEED_PATHS: [string, string][] = [
  ['post', '/api/v1/webhooks'],
  ['get', '/api/v1/webhooks'],
  ['get', '/api/v1/webhooks/{id}'],
  ['patch', '/api/v1/webhooks/{id}'],
  ['delete', '/api/v1/webhooks/{id}'],
  ['get', '/api/v1/webhooks/{id}/deliveries'],
  ['post', '/api/v1/webhooks/test'],
  ['get', '/api/providers'],
  ['get', '/api/providers/{name}'],
  ['get', '/api/providers/{name}/stats'],
  ['get', '/api/status'],
  ['get', '/api/status/metrics'],
  ['get', '/api/rate-limits'],
  ['get', '/api/rate-limits/{name}'],
  ['get', '/api/logs/{log_type}'],
  ['get', '/api/alerts'],
  ['post', '/api/alerts/{id}/acknowledge'],
  ['get', '/api/scheduler/status'],
  ['post', '/api/scheduler/trigger/{job_id}'],
  ['get', '/api/database/stats'],
  ['get', '/api/database/health'],
  ['get', '/api/analytics/failures'],
  ['get', '/api/config/stats'],
  ['post', '/api/v1/publish'],
  ['get', '/api/v1/predictions/{symbol}'],
  ['get', '/api/v1/market/quotes/{symbol}'],
  ['get', '/api/v1/market/candles/{symbol}'],
  ['post', '/api/v1/alerts/rules'],
  ['post', '/api/v1/api-keys'],
];

let fakes: FakeServices;
let api: ApiUnderTest;
let doc: any;

beforeAll(async () => {
  fakes = await startFakeServices();
  api = await startApiUnderTest(addressesOf(fakes));
  const res = await fetch(`${api.base}/openapi.json`);
  expect(res.status).toBe(200);
  doc = await res.json();
});

afterAll(async () => {
  await api?.close();
  await fakes?.stopAll();
});

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3 document', async () => {
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toMatch(/^3\./);
  });

  it('lists every REST path with its method', () => {
    const missing = SEED_PATHS.filter(([method, path]) => !doc.paths[path]?.[method]).map(([m, p]) => `${m.toUpperCase()} ${p}`);
    expect(missing).toEqual([]);
  });

  it('documents the seed status codes and the one error shape', () => {
    expect(Object.keys(doc.paths['/api/v1/webhooks'].post.responses)).toContain('201');
    expect(Object.keys(doc.paths['/api/v1/webhooks/{id}'].delete.responses)).toContain('204');
    expect(doc.paths['/api/v1/webhooks/test'].post.parameters.map((p: any) => `${p.in}:${p.name}`)).toContain('query:webhook_id');
    for (const item of Object.values<any>(doc.paths)) {
      for (const op of Object.values<any>(item)) {
        expect(op.responses['429'].content['application/json'].schema.$ref).toBe('#/components/schemas/Error');
        expect(op.security).toEqual([{ Authorization: [] }, { ApiKey: [] }]);
      }
    }
    expect(doc.components.securitySchemes.ApiKey).toEqual({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
  });
});

describe('documentation pages work offline', () => {
  it('/docs and /redoc load only assets the gateway itself serves', async () => {
    for (const page of ['/docs', '/redoc']) {
      const res = await fetch(`${api.base}${page}`);
      expect(res.status).toBe(200);
      const html = await res.text();
      const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
      expect(refs.length).toBeGreaterThan(0);
      let texts = html;
      for (const ref of refs) {
        expect(ref.startsWith('/'), `${page} loads ${ref} from elsewhere`).toBe(true);
        const asset = await fetch(`${api.base}${ref}`);
        expect(asset.status, ref).toBe(200);
        const body = await asset.text();
        expect(body.length, ref).toBeGreaterThan(100);
        texts += body;
      }
      expect(texts).toContain('/openapi.json');
    }
  });
});
