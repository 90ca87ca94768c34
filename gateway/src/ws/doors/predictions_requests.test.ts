import * as grpc from '@grpc/grpc-js';
import { prediction } from '@marketpulse/proto';
import { notFound, toServiceError } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { inProcessGateways } from '../../testing/in_process_gateway.testkit';

// A predictions client asks for a forecast (`request_prediction`), then switches symbol before the
// prediction service answers. The answer about the old symbol (a forecast, or an error naming it)
// came after the new symbol's `connected`, and a client takes everything after `connected` for
// the new symbol's. Now a switch cancels the requests in flight. The prediction service here is a
// real gRPC server on loopback that answers only when the test says so.

const { gateway, sockets } = inProcessGateways({ name: 'predictions-requests', predictionService: true });

type Message = Record<string, any>;

/** One GetPrediction call the service holds until the test answers it. */
interface HeldCall {
  readonly symbol: string;
  readonly horizon: number;
  forecast(): void;
  fail(err: grpc.ServiceError): void;
}

/** The prediction service: every GetPrediction waits for the test's answer. */
class HeldPredictionService {
  readonly server = new grpc.Server();
  private readonly calls: HeldCall[] = [];
  private waiters: (() => void)[] = [];

  async start(): Promise<string> {
    this.server.addService(prediction.PredictionServiceService, {
      getPrediction: (
        call: grpc.ServerUnaryCall<prediction.GetPredictionRequest, prediction.GetPredictionResponse>,
        answer: grpc.sendUnaryData<prediction.GetPredictionResponse>,
      ) => {
        const { symbol, horizon_seconds: horizon } = call.request;
        this.calls.push({
          symbol,
          horizon,
          forecast: () =>
            answer(null, {
              prediction: prediction.Prediction.fromPartial({
                id: `pred-${symbol}-${horizon}`,
                symbol,
                horizon_seconds: horizon,
                predicted_price: 1,
              }),
            }),
          fail: (err) => answer(err),
        });
        for (const wake of this.waiters.splice(0)) wake();
      },
    } as grpc.UntypedServiceImplementation);
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    return `127.0.0.1:${port}`;
  }

  /** The calls received so far, once there are `count` of them (taken: the next wait counts anew). */
  async received(count: number): Promise<HeldCall[]> {
    while (this.calls.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.calls.splice(0);
  }
}

/** A /ws/predictions client recording every message; `next` waits for one that matches. */
class Client {
  readonly messages: Message[] = [];
  private waiters: { test: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as Message;
      this.messages.push(msg);
      this.waiters = this.waiters.filter((w) => !(w.test(msg) && (w.resolve(msg), true)));
    });
  }

  /** The first message since `after` (an index into messages) that matches. */
  next(test: (m: Message) => boolean, after = 0): Promise<Message> {
    const seen = this.messages.slice(after).find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  send(msg: object): void {
    this.ws.send(JSON.stringify(msg));
  }

  /** Type and symbol of every message after `message`, pings left out. */
  after(message: Message): [string, unknown][] {
    return this.messages
      .slice(this.messages.indexOf(message) + 1)
      .filter((m) => m.type !== 'ping')
      .map((m) => [m.type, m.symbol]);
  }
}

const service = new HeldPredictionService();
let address: string;

beforeAll(async () => {
  address = await service.start();
});

afterAll(() => service.server.forceShutdown());

const connectedTo = (symbol: string) => (m: Message) => m.type === 'connected' && m.symbol === symbol;
const requested = (m: Message) => m.type === 'prediction_update' && m.requested === true;

async function connect(symbol: string): Promise<Client> {
  const gw = await gateway({ PREDICTION_GRPC_ADDR: address });
  const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/ws/predictions/${symbol}`);
  sockets.push(ws);
  const client = new Client(ws);
  await client.next(connectedTo(symbol));
  return client;
}

describe('request_prediction across a switch of symbol', () => {
  it('drops the old symbol’s forecast that comes after the switch; the new symbol’s request is answered', async () => {
    const client = await connect('AAPL');
    client.send({ type: 'request_prediction', horizon_seconds: 60 });
    const [aapl] = await service.received(1);
    expect(aapl).toMatchObject({ symbol: 'AAPL' });

    client.send({ type: 'subscribe', symbol: 'MSFT' });
    const switched = await client.next(connectedTo('MSFT'));
    aapl!.forecast();

    // Asked after the old answer was given, on the same gRPC connection: its answer comes after it.
    client.send({ type: 'request_prediction', horizon_seconds: 60 });
    const [msft] = await service.received(1);
    msft!.forecast();
    expect(await client.next(requested)).toMatchObject({ symbol: 'MSFT', id: 'pred-MSFT-60', data: { symbol: 'MSFT' } });
    expect(client.after(switched)).toEqual([['prediction_update', 'MSFT']]);
    expect(client.messages.slice(client.messages.indexOf(switched)).filter((m) => JSON.stringify(m).includes('AAPL'))).toEqual([]);
  });

  it('answers two requests in flight for the followed symbol and across a re-subscription to it; at a switch drops them all, forecasts and errors alike', async () => {
    const client = await connect('AAPL');
    // No switch: both answered.
    client.send({ type: 'request_prediction', horizon_seconds: 60 });
    client.send({ type: 'request_prediction', horizon_seconds: 120 });
    for (const call of await service.received(2)) call.forecast();
    await client.next((m) => requested(m) && m.id === 'pred-AAPL-60');
    await client.next((m) => requested(m) && m.id === 'pred-AAPL-120');

    // Re-subscribing to the same symbol (to resume from an id, say) is no switch: still answered.
    client.send({ type: 'request_prediction', horizon_seconds: 30 });
    const [again] = await service.received(1);
    const marker = client.messages.length;
    client.send({ type: 'subscribe', symbol: 'AAPL' });
    await client.next(connectedTo('AAPL'), marker);
    again!.forecast();
    await client.next((m) => requested(m) && m.id === 'pred-AAPL-30');

    // Three in flight at the switch: two forecasts and an error that names the old symbol.
    for (const horizon of [60, 120, 300]) client.send({ type: 'request_prediction', horizon_seconds: horizon });
    const inFlight = await service.received(3);
    client.send({ type: 'subscribe', symbol: 'MSFT' });
    const switched = await client.next(connectedTo('MSFT'));
    for (const call of inFlight) {
      if (call.horizon === 120) call.fail(toServiceError(notFound('PREDICTION_MODEL_NOT_FOUND', `no model for ${call.symbol}`)));
      else call.forecast();
    }

    client.send({ type: 'request_prediction', symbol: 'MSFT', horizon_seconds: 60 });
    const [msft] = await service.received(1);
    msft!.forecast();
    await client.next((m) => requested(m) && m.symbol === 'MSFT', client.messages.indexOf(switched));
    expect(client.after(switched)).toEqual([['prediction_update', 'MSFT']]);
  });
});
