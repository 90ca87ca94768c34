export {
  SCOPES,
  ALL_SCOPES,
  ANONYMOUS,
  isScope,
  hasScope,
  canRead,
  ownerFilter,
  readableChannels,
  type Principal,
  type Scope,
} from './principal';
export { AuthError } from './auth_error';
export {
  createAuthenticator,
  DEFAULT_API_KEY_RECHECK_SECONDS,
  DEFAULT_API_KEY_UNKNOWN_CACHE_SECONDS,
  type Authenticator,
  type AuthenticatorOptions,
} from './authenticator';
export { DEFAULT_JWT_MAX_LIFETIME_SECONDS } from './jwt';
export type { KeyRevocations } from './key_revocations';
export { authConfigShape, authenticatorFromConfig, type AuthConfig } from './config';
export { parseApiKeys } from './static_keys';
export { delegate, patternCovers, type Delegation, type KeyRequest } from './delegation';
export { mintToken, type MintTokenOptions } from './mint_token';
export { devSecretPath, readDevSecret, readOrCreateDevSecret } from './dev_secret';
export type { ApiKeyStore, ApiKeyRecord, NewApiKey } from './api_key_store';
export { DbApiKeyStore, API_KEY_MIGRATIONS, API_KEY_PATTERN, type ApiKeyLimits } from './api_key_store_db';
export { DEFAULT_API_KEYS_MAX_PER_USER, tooManyApiKeys } from './api_key_limit';
