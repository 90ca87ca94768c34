export { RateLimiter, type RateDecision, type RateLimiterOptions } from './rate_limiter';
