export { ConfigError } from './config_error';
export { loadConfig, type EnvSource } from './load_config';
export { commonConfigSchema, serviceConfigSchema, type CommonConfig } from './common_config';
export { describeEnv, renderEnvDocs, type EnvVarDoc } from './env_docs';
