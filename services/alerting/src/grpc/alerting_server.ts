import * as grpc from '@grpc/grpc-js';
import { alerting } from '@marketpulse/proto';
import { grpcError, type GrpcServiceRegistration, type Logger } from '@marketpulse/runtime';
import type { AlertingApi } from '../alerting_api';
import { AlertingError } from '../errors';
import { alertToProto, draftFromProto, ruleToProto } from './mapping';

const STATUS: Record<AlertingError['code'], grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
};

function toServiceError(err: unknown, logger: Logger): grpc.ServiceError {
  if (err instanceof AlertingError) return grpcError(STATUS[err.code], err.message, { appCode: err.code });
  logger.error({ err }, 'alerting request failed');
  return grpcError(grpc.status.INTERNAL, `alerting failed: ${err instanceof Error ? err.message : String(err)}`, { appCode: 'ALERTING_INTERNAL' });
}

/** Wraps an async handler as a grpc-js unary handler with error mapping. */
function unary<Req, Res>(logger: Logger, fn: (req: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    fn(call.request).then(
      (res) => callback(null, res),
      (err: unknown) => callback(toServiceError(err, logger)),
    );
  };
}

export function alertingService(api: AlertingApi, logger: Logger): GrpcServiceRegistration {
  const impl: alerting.AlertingServiceServer = {
    createRule: unary(logger, async (req: alerting.CreateRuleRequest) => {
      if (!req.rule) throw new AlertingError('INVALID_ARGUMENT', 'rule is required');
      return { rule: ruleToProto(await api.createRule(draftFromProto(req.rule), req.rule.user_id)) };
    }),
    getRule: unary(logger, async (req: alerting.GetRuleRequest) => ({ rule: ruleToProto(await api.getRule(req.id, req.user_id)) })),
    listRules: unary(logger, async (req: alerting.ListRulesRequest) => ({
      rules: (await api.listRules(req.user_id, req.symbol, req.include_system)).map(ruleToProto),
    })),
    updateRule: unary(logger, async (req: alerting.UpdateRuleRequest) => {
      if (!req.rule) throw new AlertingError('INVALID_ARGUMENT', 'rule is required');
      return { rule: ruleToProto(await api.updateRule(req.rule.id, draftFromProto(req.rule), req.update_mask ?? [], req.user_id)) };
    }),
    deleteRule: unary(logger, async (req: alerting.DeleteRuleRequest) => {
      await api.deleteRule(req.id, req.user_id);
      return {};
    }),
    listAlerts: unary(logger, async (req: alerting.ListAlertsRequest) => ({
      alerts: (
        await api.listAlerts({
          user_id: req.user_id,
          acknowledged: req.acknowledged,
          hours: req.hours,
          severity: req.severity,
          symbol: req.symbol,
          limit: req.limit,
        })
      ).map(alertToProto),
    })),
    acknowledgeAlert: unary(logger, async (req: alerting.AcknowledgeAlertRequest) => ({
      alert: alertToProto(await api.acknowledge(req.id, req.acknowledged_by, req.user_id)),
    })),
    streamAlerts: (call) => {
      const req = call.request;
      const unsubscribe = api.subscribe(req.user_id, req.symbols, req.include_system, (a) => {
        call.write({ alert: alertToProto(a) });
      });
      const end = () => unsubscribe();
      call.on('cancelled', end);
      call.on('close', end);
      call.on('error', end);
    },
  };
  return { definition: alerting.AlertingServiceService, implementation: impl };
}
