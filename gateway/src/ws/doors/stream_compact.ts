import type { Publication } from '../history';
import type { FrameSpec } from './stream_frames';

/**
 * A `data` message on `marketpulse.v1.compact` (issue 19: at most 1.5x Centrifugo's bytes in JSON):
 * one JSON array, so it cannot be mistaken for the subprotocol's other messages (JSON objects
 * with a `type`, as on `marketpulse.v1.json`), and says each field by its place instead of its name:
 *
 *   [subscription_id, event_id, event_type, time, payload, source, subject, pos, trace_id]
 *
 * `time` is epoch milliseconds when that gives back the very same ISO text (`toISOString()`), else
 * the text. `payload` is the JSON frame's (no field at its proto default, none a filter fixes).
 * `event_type` is `""` when the filters admit one type; `source` and `subject` are `""` where the
 * JSON frame leaves them out (fixed by a filter, empty, or a typed item, which has neither). Trailing
 * `""` are dropped, so the array has 5 to 9 elements. `event_id` is the resume id (`since`), `pos`
 * the Kafka position entry. Clients put back the item (clients/ts/src/stream_items.ts, decodeCompactData).
 */
export function dataCompact(
  spec: FrameSpec,
  pub: Publication,
  payload: Readonly<Record<string, unknown>>,
  eventPinned: ReadonlySet<string>,
): unknown[] {
  const events = spec.type === 'events';
  const frame: unknown[] = [
    spec.subscriptionId,
    pub.id,
    spec.pinnedType === undefined ? pub.type : '',
    epochMillis(pub.time),
    payload,
    events && !eventPinned.has('source') ? pub.source : '',
    events && !eventPinned.has('subject') ? pub.subject : '',
    pub.pos ?? '',
    pub.traceId,
  ];
  while (frame.length > 5 && frame[frame.length - 1] === '') frame.pop();
  return frame;
}

/** The time as epoch milliseconds when those say it exactly (13 characters instead of 26), else as it is. */
function epochMillis(time: string): number | string {
  const ms = Date.parse(time);
  return Number.isFinite(ms) && new Date(ms).toISOString() === time ? ms : time;
}
