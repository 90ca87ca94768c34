import { histogram } from '@marketpulse/runtime';

/** 1 ms to 1 min: a healthy path lives in the first buckets, a backlog drained after an outage in the last. */
const AGE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * How old events are when the gateway hands them to its WebSocket hub: now minus the event's
 * `time` (stamped by its producer), by event type. It is the freshness of what clients receive, and
 * it splits a slow tick-to-client path at the gateway: above it, producer and Kafka; below it, the
 * hub and the sockets. Across hosts it includes their clock skew; a negative age counts as 0.
 */
export function eventAgeMetrics(): (type: string, eventTime: string | undefined) => void {
  const age = histogram<'type'>({
    name: 'marketpulse_gateway_event_age_seconds',
    help: 'Age of an event (now minus its time) when the gateway hands it to the WebSocket hub, by event type.',
    labelNames: ['type'],
    buckets: AGE_BUCKETS,
  });
  // The events of one publish request share their time: parsed once, not per event (issue 19).
  let lastTime: string | undefined;
  let lastAt = Number.NaN;
  return (type, eventTime) => {
    if (eventTime !== lastTime) {
      lastTime = eventTime;
      lastAt = eventTime === undefined ? Number.NaN : Date.parse(eventTime);
    }
    if (Number.isFinite(lastAt)) age.observe({ type }, Math.max(0, Date.now() - lastAt) / 1000);
  };
}
