import { describe, expect, it } from 'vitest';
import { loadConfig, serviceConfigSchema } from '../config';
import { grpcStreamConfigShape } from './stream_bound';

// GRPC_STREAM_BUFFER_MESSAGES is checked at start-up like every variable: a bound of 0, a negative
// one, a word or one past the ceiling stops the process naming it, instead of a stream that cuts
// every reader at once or never. (The policy itself is tested through each service's stream:
// StreamTicks, StreamPredictions, StreamAlerts.)

const schema = serviceConfigSchema('test', grpcStreamConfigShape());

describe('GRPC_STREAM_BUFFER_MESSAGES', () => {
  it('defaults to 1000 and takes a positive whole number', () => {
    expect(loadConfig(schema, {}).GRPC_STREAM_BUFFER_MESSAGES).toBe(1000);
    expect(loadConfig(schema, { GRPC_STREAM_BUFFER_MESSAGES: '64' }).GRPC_STREAM_BUFFER_MESSAGES).toBe(64);
  });

  it.each(['0', '-5', 'abc', '1.5', '1000001'])('refuses %j at start-up, naming the variable', (value) => {
    expect(() => loadConfig(schema, { GRPC_STREAM_BUFFER_MESSAGES: value })).toThrow(/GRPC_STREAM_BUFFER_MESSAGES: expected .*, got '/);
  });
});
