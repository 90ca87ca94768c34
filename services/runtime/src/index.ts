export * from './config';
export * from './log';
export * from './health';
export * from './grpc';
export * from './bus';
export * from './db';
export * from './telemetry';
export * from './metrics';
