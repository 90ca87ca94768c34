import * as grpc from '@grpc/grpc-js';
import { prediction } from '@marketpulse/proto';
import { createLogger, startGrpcServer, type GrpcServerHandle } from '@marketpulse/runtime';
import { endOf, expectSlowConsumerEnd, runStalledReader, startStallingLink, type StallingLink } from '@marketpulse/runtime/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { PredictionFeed, type PredictionListener } from '../feed';
import type { ModelLifecycle } from '../lifecycle/lifecycle';
import type { Predictor, PredictionResult } from '../predictor';
import { toProtoPrediction } from '../proto_mapping';
import { predictionService } from './server';

// StreamPredictions to a client that stops reading while forecasts keep coming. Before, the server
// dropped every forecast past 1,000 queued for that client, kept the stream open and only logged
// the count: the client could not tell it had lost any. Now (runtime grpc/stream_bound.ts, shared by
// every server stream) it keeps at most GRPC_STREAM_BUFFER_MESSAGES unread forecasts, then ends the
// stream with SLOW_CONSUMER after the ones already written, none skipped. The client reads through
// the runtime's stalling link (@marketpulse/runtime/testkit: why pausing a grpc-js stream is not enough).

const logger = createLogger('stream-predictions-test', {}, { level: 'silent' });
const BUFFER = 64;
let server: GrpcServerHandle | undefined;
let client: prediction.PredictionServiceClient | undefined;
let link: StallingLink | undefined;

afterEach(async () => {
  client?.close();
  link?.close();
  await server?.close(100);
});

const forecast = (n: number): PredictionResult => ({
  id: String(n),
  symbol: 'AAPL',
  horizonS: 60,
  predictedPrice: 100 + n / 1000,
  confidence: 0.8,
  lower: 99,
  upper: 101,
  level: 0.95,
  modelVersion: 'AAPL-v1',
  currentPrice: 100,
  timestampMs: 1_700_000_000_000 + n,
  targetTimeMs: 1_700_000_060_000 + n,
});

describe('StreamPredictions to a client that stops reading', () => {
  it('ends the stream with SLOW_CONSUMER after every forecast it took, holding at most GRPC_STREAM_BUFFER_MESSAGES for the reader', async () => {
    const feed = new PredictionFeed();
    let subscribers = 0;
    let unsubscribed = false;
    const subscribe = feed.subscribe.bind(feed);
    feed.subscribe = (symbols: readonly string[], listener: PredictionListener) => {
      const stop = subscribe(symbols, listener);
      subscribers++;
      return () => {
        unsubscribed = true;
        return stop();
      };
    };
    const deps = { predictor: {} as Predictor, lifecycle: {} as ModelLifecycle, feed, logger, streamBuffer: BUFFER };
    server = await startGrpcServer({ port: 0, services: [predictionService(deps)], reflection: false });
    link = await startStallingLink(server.port);
    client = new prediction.PredictionServiceClient(`127.0.0.1:${link.port}`, grpc.credentials.createInsecure());
    const stream = client.streamPredictions({ symbols: [] });
    const received: string[] = [];
    stream.on('data', (m: prediction.StreamPredictionsResponse) => received.push(m.prediction!.id));
    const ended = endOf(stream);
    for (let i = 0; i < 250 && subscribers === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(subscribers).toBe(1);

    // A reader that keeps up is never cut (2,000 forecasts in bursts of a quarter of the buffer); then it
    // stalls while up to 50,000 more come, far past its transport and the server's buffer.
    const run = await runStalledReader({
      link,
      burst: BUFFER / 4,
      keepUp: 2_000,
      flood: 50_000,
      emit: (n) => feed.emit(forecast(n)),
      received: () => received.length,
      stopped: () => unsubscribed,
      ended,
    });
    expectSlowConsumerEnd(run, {
      buffer: BUFFER,
      keepUp: 2_000,
      frameBytes: (n) => prediction.StreamPredictionsResponse.encode({ prediction: toProtoPrediction(forecast(n)) }).finish().length + 5,
      received,
      catchUpMethod: /GetPrediction/,
    });
  }, 60_000);
});
