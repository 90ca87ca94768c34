import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { market } from '@marketpulse/proto';
import { createClient, startInServiceScope, type Database, type HealthMonitor, type ServiceScopeDeps } from '@marketpulse/runtime';
import { AlertingApi } from './alerting_api';
import type { AlertingConfig } from './config';
import { AlertEngine } from './engine';
import { alertingService } from './grpc/server';
import { LiveAlerts } from './live_alerts';
import { AlertStore } from './store/alert_store';
import { migrations } from './store/migrations';
import { RuleStore } from './store/rule_store';
import { KnownSymbols } from './symbols';
import { ensureSystemRules } from './system_rules';

/** What a caller may lend the service (the one-process suite, tests); lent resources are left open on close. */
export interface AlertingDeps extends ServiceScopeDeps {
  db?: Database;
}

export interface AlertingHandle {
  /** The bound gRPC port (useful with GRPC_PORT=0). */
  grpcPort: number;
  api: AlertingApi;
  engine: AlertEngine;
  health: HealthMonitor;
  close(): Promise<void>;
}

export async function startAlerting(config: AlertingConfig, deps: AlertingDeps = {}): Promise<AlertingHandle> {
  return startInServiceScope('alerting', config, deps, async (scope) => {
    const { logger, bus, db } = scope;
    await db.migrate(migrations);
    const rules = new RuleStore(db);
    const alerts = new AlertStore(db);
    if (config.ALERT_SYSTEM_RULES) {
      const created = await ensureSystemRules(rules);
      if (created) logger.info({ created }, 'built-in system rules created');
    }

    let marketData: market.MarketDataServiceClient | undefined;
    if (config.MARKET_DATA_GRPC_ADDR) {
      marketData = createClient(market.MarketDataServiceClient, config.MARKET_DATA_GRPC_ADDR, { deadlineMs: 3000 });
      scope.onClose(() => marketData?.close());
    }
    const lookup = marketData
      ? () =>
          new Promise<string[]>((resolve, reject) =>
            marketData!.listSymbols({ asset_class: '' }, (err, res) => (err ? reject(err) : resolve(res.symbols.map((s) => s.symbol)))),
          )
      : undefined;
    const symbols = new KnownSymbols(
      config.ALERT_KNOWN_SYMBOLS.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      lookup,
    );

    const engine = new AlertEngine({
      bus,
      rules,
      alerts,
      symbols,
      logger,
      source: config.SERVICE_NAME,
      groupId: config.ALERT_CONSUMER_GROUP ?? config.SERVICE_NAME,
      fromBeginning: config.ALERT_CONSUME_FROM_BEGINNING,
      defaultCooldownSeconds: config.ALERT_DEFAULT_COOLDOWN_SECONDS,
      ruleRefreshMs: config.ALERT_RULE_REFRESH_MS,
      outboxRetryMs: config.ALERT_OUTBOX_RETRY_MS,
      storeHealthy: async () => (await db.health()).ok,
    });
    // Consumed always, not only on a bus of our own: a lent bus (the suite, a test) may be shared with
    // other alerting instances just as a created one is, and where it is not, the consumer only hears
    // this instance's own alerts again, which LiveAlerts drops by id. Skipping it would silently cut
    // streams down to one instance's alerts whenever the bus is lent.
    const live = new LiveAlerts({
      bus,
      local: engine.feed,
      groupId:
        config.ALERT_STREAM_CONSUMER_GROUP ??
        `${config.SERVICE_NAME}-stream-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
      logger,
    });
    const api = new AlertingApi(rules, alerts, engine, symbols, live, config.ALERT_MAX_RULES_PER_USER);

    const server = await scope.serveGrpc([alertingService(api, logger, config.GRPC_STREAM_BUFFER_MESSAGES)]);
    // Started before the engine, so no alert stored from here on is missed by the streams.
    await live.start();
    scope.onClose(() => live.stop());
    await engine.start();
    scope.onClose(() => engine.stop());
    // market-data only widens the symbols a rule may name (the configured and ticked ones still
    // work without it): shown in /health, never a reason to be not ready.
    const callees = config.MARKET_DATA_GRPC_ADDR ? [scope.optionalCallee('market-data', config.MARKET_DATA_GRPC_ADDR)] : [];
    const health = await scope.startHealth(server, callees);

    return { grpcPort: server.port, api, engine, health, close: scope.close };
  });
}
