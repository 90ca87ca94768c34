export { ConfigError } from './config_error';
export { loadConfig, type EnvSource } from './load_config';
export { commonConfigSchema, serviceConfigSchema, type CommonConfig } from './common_config';
export { envBoolean, envInt, envList, envNonNegativeInt, envPort, envPositiveInt } from './env_values';
export { describeEnv, renderEnvDocs, type EnvVarDoc } from './env_docs';
export { HIDDEN_HEADER_VALUE, HIDDEN_QUERY_VALUE, isCredentialName } from './credential_names';
export { CHECK_CONFIG_FLAG, loadAllConfigs, redactConfig, reportConfigCheck } from './effective_config';
