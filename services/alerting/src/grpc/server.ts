import { alerting } from '@marketpulse/proto';
import {
  assertValid,
  checkCount,
  checkInt32,
  checkOneOf,
  checkSymbol,
  checkText,
  DEFAULT_STREAM_BUFFER_MESSAGES,
  sendUntilClosed,
  serveGrpc,
  type FieldViolation,
  type GrpcHandlers,
  type GrpcServiceRegistration,
  type Logger,
} from '@marketpulse/runtime';
import type { AlertingApi } from '../alerting_api';
import { alertingErrors, invalid } from '../errors';
import { SEVERITIES } from '../rules/rule';
import { alertToProto, draftFromProto, ruleToProto } from '../proto_mapping';

const MAX_SYMBOLS = 1000;
const MAX_MASK_PATHS = 32;

/* Shape checks of the gRPC boundary: what any caller (the gateway or a direct client) may send. Rule semantics are validateRule's. */
const valid = (...checks: FieldViolation[][]) => assertValid(checks, { domain: alertingErrors.domain });
const userCheck = (userId: string) => checkText(userId, { field: 'user_id', max: 256 });
const idCheck = (id: string, field = 'id') => checkText(id, { field, max: 128 });
const symbolFilter = (symbol: string, field = 'symbol') => checkSymbol(symbol.trim(), { field });

function ruleChecks(rule: alerting.Rule): FieldViolation[] {
  return [
    ...checkText(rule.name, { field: 'rule.name', max: 200 }),
    ...checkText(rule.description, { field: 'rule.description', max: 2000, multiline: true }),
    ...symbolFilter(rule.symbol, 'rule.symbol'),
    ...checkText(rule.severity, { field: 'rule.severity', max: 32 }),
    ...checkInt32(rule.cooldown_seconds, { field: 'rule.cooldown_seconds', min: 0 }),
    ...userCheck(rule.user_id).map((v) => ({ ...v, field: 'rule.user_id' })),
  ];
}

/** The AlertingService, served by the runtime's one handler wrapper. */
export function alertingService(api: AlertingApi, logger: Logger, streamBuffer = DEFAULT_STREAM_BUFFER_MESSAGES): GrpcServiceRegistration {
  const handlers: GrpcHandlers<alerting.AlertingServiceServer> = {
    createRule: async (req) => {
      if (!req.rule) throw invalid('rule is required', 'rule');
      valid(ruleChecks(req.rule));
      return { rule: ruleToProto(await api.createRule(draftFromProto(req.rule), req.rule.user_id)) };
    },
    getRule: async (req) => {
      valid(idCheck(req.id), userCheck(req.user_id));
      return { rule: ruleToProto(await api.getRule(req.id, req.user_id)) };
    },
    listRules: async (req) => {
      valid(userCheck(req.user_id), symbolFilter(req.symbol));
      return { rules: (await api.listRules(req.user_id, req.symbol, req.include_system)).map(ruleToProto) };
    },
    updateRule: async (req) => {
      if (!req.rule) throw invalid('rule is required', 'rule');
      const mask = req.update_mask ?? [];
      valid(
        ruleChecks(req.rule),
        idCheck(req.rule.id, 'rule.id'),
        userCheck(req.user_id),
        checkCount(mask, { field: 'update_mask', max: MAX_MASK_PATHS }),
      );
      return { rule: ruleToProto(await api.updateRule(req.rule.id, draftFromProto(req.rule), mask, req.user_id)) };
    },
    deleteRule: async (req) => {
      valid(idCheck(req.id), userCheck(req.user_id));
      await api.deleteRule(req.id, req.user_id);
      return {};
    },
    listAlerts: async (req) => {
      valid(
        userCheck(req.user_id),
        symbolFilter(req.symbol),
        req.severity ? checkOneOf(req.severity, SEVERITIES, { field: 'severity' }) : [],
        checkInt32(req.limit, { field: 'limit', min: 0 }),
        checkInt32(req.hours, { field: 'hours', min: 0 }),
      );
      const alerts = await api.listAlerts({
        user_id: req.user_id,
        acknowledged: req.acknowledged,
        hours: req.hours,
        severity: req.severity,
        symbol: req.symbol,
        limit: req.limit,
      });
      return { alerts: alerts.map(alertToProto) };
    },
    acknowledgeAlert: async (req) => {
      valid(idCheck(req.id), checkText(req.acknowledged_by, { field: 'acknowledged_by', max: 256 }), userCheck(req.user_id));
      return { alert: alertToProto(await api.acknowledge(req.id, req.acknowledged_by, req.user_id)) };
    },
    streamAlerts: (req, call) => {
      valid(
        userCheck(req.user_id),
        checkCount(req.symbols, { field: 'symbols', max: MAX_SYMBOLS }),
        ...req.symbols.slice(0, MAX_SYMBOLS).map((s, i) => symbolFilter(s, `symbols[${i}]`)),
      );
      return sendUntilClosed(call, { limit: streamBuffer, catchUp: 'list the alerts it missed with ListAlerts' }, (send) =>
        api.subscribe(req.user_id, req.symbols, req.include_system, (a) => send({ alert: alertToProto(a) })),
      );
    },
  };
  return serveGrpc<alerting.AlertingServiceServer>(alerting.AlertingServiceService, handlers, { logger });
}
