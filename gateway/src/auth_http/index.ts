export { SCOPES, ALL_SCOPES, isScope, hasScope, ownerFilter, type Principal, type Scope } from './principal';
export { verifyJwt, CredentialError } from './jwt';
export { credentialOf, createHttpAuthenticator, type HttpAuthenticator, type AuthenticatorOptions } from './authenticate';
export type { ApiKeyStore, ApiKeyRecord, NewApiKey } from './api_key_store';
export { DbApiKeyStore, API_KEY_MIGRATIONS, API_KEY_PATTERN } from './api_key_store_db';
export { RateLimiter, type RateDecision, type RateLimiterOptions } from './rate_limiter';
export { applyCors, originAllowed, type CorsOptions } from './cors';
