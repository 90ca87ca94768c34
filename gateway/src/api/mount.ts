import type { Bus, Logger } from '@marketpulse/runtime';
import { sendJson } from '../http/respond';
import type { HttpRouter } from '../http/router';
import type { Hub } from '../ws/hub';
import type { ApiConfig } from './config';
import { startApi, type ApiHandle, type ApiStartDeps } from './start_api';

export interface ApiMount {
  /** Starts the API and mounts it under every path the gateway does not route itself (startGateway calls it). */
  mount(router: HttpRouter, gateway: { hub: Hub; bus: Bus; logger: Logger }): Promise<void>;
  /** The started API (after mount ran). */
  readonly handle: ApiHandle | undefined;
  /** Stops the publish gRPC server, the service clients and the API's database. */
  close(): Promise<void>;
}

/**
 * The API wired into the gateway's HTTP server: `/`, `/openapi.json`, `/docs`, `/redoc`,
 * `/metrics`, `/api/...` and `/trpc/...`; the gateway's own routes (/health, /info, /ws/stats)
 * stay exact routes and win.
 */
export function createApiMount(config: ApiConfig, options: Pick<ApiStartDeps, 'db' | 'services' | 'version'> = {}): ApiMount {
  let handle: ApiHandle | undefined;
  return {
    async mount(router, gateway) {
      const api = await startApi(config, { ...options, bus: gateway.bus, feed: gateway.hub, logger: gateway.logger });
      handle = api;
      router.mount('', async (req, res) => {
        if (!(await api.handler(req, res)))
          sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no route for ${req.method} ${req.url}` } });
      });
    },
    get handle() {
      return handle;
    },
    close: async () => {
      await handle?.close();
    },
  };
}
