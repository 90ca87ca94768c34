export { startAlerting, type AlertingDeps, type AlertingHandle } from './service';
export { alertingConfigSchema, loadConfig, type AlertingConfig } from './config';
export { AlertingApi, type AlertQuery } from './alerting_api';
export { RuleEvaluator, type Evaluation, type Firing, type RiskStatusChange } from './evaluation/evaluator';
export { RuleIndex, type RuleCandidates } from './evaluation/rule_index';
export { alertingErrors, type AlertingReason } from './errors';
