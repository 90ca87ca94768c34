import { describe, expect, it } from 'vitest';
import { gatewayRouteResolver } from './route_names';

describe('gatewayRouteResolver', () => {
  const route = gatewayRouteResolver('test');
  it('names REST requests by their OpenAPI route template, literal paths first', () => {
    expect(route('POST', '/api/v1/publish')).toBe('/api/v1/publish');
    expect(route('GET', '/api/v1/webhooks/ep_123')).toBe('/api/v1/webhooks/{id}');
    expect(route('POST', '/api/v1/webhooks/test')).toBe('/api/v1/webhooks/test');
    expect(route('GET', '/api/providers/binance/stats')).toBe('/api/providers/{name}/stats');
  });
  it('names the gateway routes and tRPC procedures, and leaves unknown paths unnamed', () => {
    expect(route('GET', '/readyz')).toBe('/readyz');
    expect(route('POST', '/trpc/alertRules.create')).toBe('/trpc/alertRules.create');
    expect(route('GET', '/trpc/a,b,c')).toBe('/trpc/{procedure}');
    expect(route('GET', '/no/such/path')).toBeUndefined();
  });
  it('names every dashboard file by one route, so a file name never becomes an operation', () => {
    expect(route('GET', '/')).toBe('/');
    expect(route('GET', '/dashboard/assets/index-3f2a9c1b.js')).toBe('/dashboard/{file}');
    expect(route('GET', '/dashboard/')).toBe('/dashboard/{file}');
    expect(route('GET', '/dashboards')).toBeUndefined();
  });
});
