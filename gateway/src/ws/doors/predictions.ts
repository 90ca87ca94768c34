import * as grpc from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import { AppError, channelFor, CHANNELS } from '@marketpulse/runtime';
import { describeValue } from '../client_values';
import { canRead } from '../../auth';
import { CLOSE } from '../codes';
import type { Connection, ResumeFrom } from '../connection';
import { flatAuthReply, flatError, matchSymbolPath, normalizeSymbol, nowIso, type Door } from './door';
import { predictionsEncoder as encoder } from './door_encoders';

/** An on-demand forecast from the prediction service, as JSON (the Prediction proto's fields). */
export type GetPrediction = (symbol: string, horizonSeconds: number) => Promise<{ id: string } & Record<string, unknown>>;

const predictionsChannel = (symbol: string) => channelFor(CHANNELS.predictions, symbol);

/** The longest forecast horizon a client may ask for (as GET /api/v1/predictions/{symbol}). */
const MAX_HORIZON_SECONDS = 86_400;

/**
 * `/ws/predictions/{symbol}` (seeds 000/001): connected, ping, prediction_update, error. Clients
 * send pong, `subscribe {symbol, since?, position?}` to change symbol (answered by a new `connected`), and
 * `request_prediction {symbol?, horizon_seconds?}`, answered with a prediction_update for that
 * client only, computed by the prediction service's GetPrediction.
 */
export function createPredictionsDoor(getPrediction: GetPrediction): Door {
  /** The symbol each connection follows: a new object at each switch of symbol, which requests in flight compare (requestPrediction). */
  const following = new WeakMap<Connection, { readonly symbol: string }>();

  function follow(conn: Connection, symbol: string, from: ResumeFrom): boolean {
    const channel = predictionsChannel(symbol);
    if (!canRead(conn.principal!, channel)) {
      conn.sendError('CHANNEL_FORBIDDEN', channel);
      return false;
    }
    const previous = following.get(conn);
    // Drops the previous symbol's live events a read-back holds and stops that read-back, so the
    // `connected` below goes out at once and nothing of the previous symbol follows it: a client
    // takes every forecast after `connected` for the new symbol's. (Sending `connected` after the held
    // events instead would hold it, and the new symbol's own read-back, behind the old read-back.)
    if (previous !== undefined) conn.unsubscribe([predictionsChannel(previous.symbol)], encoder.key);
    if (previous?.symbol !== symbol) following.set(conn, { symbol });
    conn.subscribeFrom([channel], encoder, from, (position) =>
      conn.send({
        type: 'connected',
        client_id: conn.id,
        symbol,
        channel,
        message: `Connected to predictions stream for ${symbol}`,
        timestamp: nowIso(),
        id: conn.newestId([channel]) ?? null,
        ...(position !== undefined ? { position } : {}),
      }),
    );
    return true;
  }

  /**
   * Answers one request_prediction. A switch of symbol while the service computes it cancels it: its
   * answer, forecast or error, is dropped, so nothing about the left symbol follows the new one's
   * `connected` (an error names no request: after the switch it would read as the new symbol's).
   * The same for a closed connection. Re-subscribing to the same symbol is no switch.
   */
  async function requestPrediction(conn: Connection, symbol: string, horizonSeconds: number): Promise<void> {
    const askedWhile = following.get(conn);
    const stillWanted = () => conn.isOpen && following.get(conn) === askedWhile;
    let prediction: { id: string } & Record<string, unknown>;
    try {
      prediction = await getPrediction(symbol, horizonSeconds);
    } catch (err) {
      if (!stillWanted()) return;
      // A wrong request gets the service's reason (the vocabulary REST and gRPC use); anything else, no internals.
      const status = err instanceof AppError ? err.status : undefined;
      if (status === grpc.status.NOT_FOUND) return conn.sendError('NOT_FOUND', err instanceof AppError ? err.message : undefined);
      if (status === grpc.status.INVALID_ARGUMENT || status === grpc.status.OUT_OF_RANGE || status === grpc.status.FAILED_PRECONDITION) {
        return conn.sendError('INVALID_ARGUMENT', (err as AppError).message);
      }
      return conn.sendError('PREDICTION_UNAVAILABLE', 'try again shortly');
    }
    if (!stillWanted()) return;
    const span = trace.getActiveSpan();
    conn.sendAfterData({
      type: 'prediction_update',
      symbol,
      data: prediction,
      timestamp: nowIso(),
      id: prediction.id,
      trace_id: span ? span.spanContext().traceId : '',
      requested: true,
    });
  }

  return {
    name: 'predictions',
    appPing: true,
    match: (pathname) => matchSymbolPath(pathname, '/ws/predictions/'),
    claims: (pathname) => pathname.startsWith('/ws/predictions/'),
    open(conn, params, { since, position }) {
      if (!follow(conn, params.symbol!, { since, position })) conn.close(CLOSE.CHANNEL_FORBIDDEN);
    },
    async message(conn, msg) {
      if (msg.type === 'subscribe') {
        const symbol = normalizeSymbol(msg.symbol);
        if (symbol === null) return conn.sendError('INVALID_SYMBOL', describeValue(msg.symbol));
        follow(conn, symbol, {
          since: typeof msg.since === 'string' ? msg.since : undefined,
          position: typeof msg.position === 'string' ? msg.position : undefined,
        });
        return;
      }
      if (msg.type === 'request_prediction') {
        const symbol = msg.symbol === undefined ? following.get(conn)?.symbol : normalizeSymbol(msg.symbol);
        if (!symbol) return conn.sendError('INVALID_SYMBOL', describeValue(msg.symbol));
        if (!canRead(conn.principal!, predictionsChannel(symbol))) return conn.sendError('CHANNEL_FORBIDDEN', predictionsChannel(symbol));
        const horizon = msg.horizon_seconds ?? msg.horizon ?? 0;
        if (!Number.isInteger(horizon) || (horizon as number) < 0 || (horizon as number) > MAX_HORIZON_SECONDS) {
          return conn.sendError(
            'INVALID_MESSAGE',
            `horizon_seconds must be an integer from 1 to ${MAX_HORIZON_SECONDS} (got ${describeValue(horizon)})`,
          );
        }
        return requestPrediction(conn, symbol, horizon as number);
      }
      conn.sendError('UNKNOWN_MESSAGE_TYPE', msg.type);
    },
    error: flatError,
    authReply: flatAuthReply,
  };
}
