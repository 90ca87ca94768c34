import type * as grpc from '@grpc/grpc-js';
import { envPositiveInt } from '../config/env_values';
import { commonError } from '../errors/error_domain';

/** GRPC_STREAM_BUFFER_MESSAGES's default: at a few hundred bytes to a kilobyte a message, about a megabyte per reader at most. */
export const DEFAULT_STREAM_BUFFER_MESSAGES = 1000;

/** GRPC_STREAM_BUFFER_MESSAGES, to spread into the config schema of a service that serves a server stream. */
export function grpcStreamConfigShape() {
  return {
    GRPC_STREAM_BUFFER_MESSAGES: envPositiveInt('a positive number of messages')
      .max(1_000_000, { error: 'expected at most 1000000 messages' })
      .default(DEFAULT_STREAM_BUFFER_MESSAGES)
      .describe(
        'Messages of one gRPC server stream (StreamTicks, StreamPredictions, StreamAlerts) written but not yet taken by its reader; one more ends that stream with RESOURCE_EXHAUSTED `SLOW_CONSUMER` (domain `marketpulse`) after the messages already written, so a slow reader never silently loses any and never grows the service without bound. Keep it above the most messages a service sends at once (the ticks of every symbol in one feed round).',
      ),
  };
}

export interface StreamBoundOptions {
  /** Messages written and not yet taken by the transport that the reader may leave behind (GRPC_STREAM_BUFFER_MESSAGES). */
  limit: number;
  /** How a reader recovers what it missed after reconnecting, e.g. `list the alerts it missed with ListAlerts`. */
  catchUp: string;
}

/**
 * THE policy of every server stream of the suite toward a reader that falls behind: messages are
 * written in order and none is skipped; once `limit` written messages wait for the reader, the
 * subscription stops and the stream ends, after the messages already written, with
 * RESOURCE_EXHAUSTED `SLOW_CONSUMER`. A client in any language thus sees either every message or an
 * error telling it the stream broke, never a silent hole, and the service holds at most `limit`
 * messages for it. `subscribe` starts the flow (it may send at once) and returns its unsubscribe.
 * The promise settles when the call ends: returned from a serveGrpc stream handler, its rejection
 * becomes the stream's status.
 */
export function sendUntilClosed<Res>(
  call: grpc.ServerWritableStream<unknown, Res>,
  options: StreamBoundOptions,
  subscribe: (send: (message: Res) => void) => () => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let pending = 0;
    let finished = false;
    let unsubscribe: (() => void) | undefined;
    const finish = (err?: Error) => {
      if (finished) return;
      finished = true;
      unsubscribe?.();
      if (err === undefined) resolve();
      else reject(err);
    };
    const send = (message: Res) => {
      if (finished) return;
      if (pending >= options.limit) {
        finish(
          commonError(
            'SLOW_CONSUMER',
            `the client left ${options.limit} messages of this stream unread, the most the server buffers for one reader (GRPC_STREAM_BUFFER_MESSAGES); ` +
              `the stream ended after the messages already sent, none skipped: read as fast as messages arrive (or ask for fewer), reconnect, and ${options.catchUp}`,
            { metadata: { buffer_messages: String(options.limit) } },
          ),
        );
        return;
      }
      pending++;
      call.write(message, () => pending--);
    };
    call.on('cancelled', () => finish());
    call.on('close', () => finish());
    call.on('error', () => finish());
    const stop = subscribe(send);
    if (finished) stop();
    else unsubscribe = stop;
  });
}
