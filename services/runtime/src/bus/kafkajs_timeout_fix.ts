/**
 * kafkajs 2.2.4's RequestQueue schedules its pending-request check with `throttledUntil - now`,
 * which is about -Date.now() when the broker never throttled (throttledUntil = -1). Node clamps the
 * delay to 1 ms, as it always did, but Node 24 also prints a TimeoutNegativeWarning for it in every
 * process (tulios/kafkajs#1751, unfixed upstream). This replaces that one method with the same
 * logic and the same effective delay, clamped before setTimeout sees it. Applied to 2.2.4 only:
 * another version may have changed the method, and then this must be looked at again.
 */
interface RequestQueueInternals {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
}

// Same value as kafkajs' CHECK_PENDING_REQUESTS_INTERVAL (not exported).
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

// Deep paths, not the package API: the method to replace is internal.
/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs' internals have no typings to import */
const { version } = require('kafkajs/package.json') as { version: string };
if (version === '2.2.4') {
  const RequestQueue = require('kafkajs/src/network/requestQueue') as {
    prototype: RequestQueueInternals & { scheduleCheckPendingRequests(): void };
  };
  RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueInternals) {
    let scheduleAt = this.throttledUntil - Date.now();
    if (this.throttleCheckTimeoutId) return;
    if (this.pending.length > 0) scheduleAt = scheduleAt > 0 ? scheduleAt : CHECK_PENDING_REQUESTS_INTERVAL_MS;
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      Math.max(1, scheduleAt),
    );
  };
}
