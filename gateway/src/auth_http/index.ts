export { credentialOf } from './credential';
export { admit, type Admission } from './admission';
export { RateLimiter, type RateDecision, type RateLimiterOptions } from './rate_limiter';
export { applyCors, isLoopbackOrigin, originAllowed, type CorsOptions } from './cors';
