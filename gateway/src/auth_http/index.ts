export { credentialOf } from './credential';
export { RateLimiter, type RateDecision, type RateLimiterOptions } from './rate_limiter';
export { applyCors, originAllowed, type CorsOptions } from './cors';
