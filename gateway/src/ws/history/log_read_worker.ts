// The read-back thread (log_reader.ts starts it): its own Kafka client, serving the gateway's
// read-backs so that fetching and decoding 30,000 missed events does not hold up live delivery on
// the main thread. It runs at the gateway's own priority: a lower one (nice 10) was tried and made
// a catch-up 2-8 times slower whenever anything else ran, with no better live p99 (bench/resume);
// tried again once the thread did all the per-event work (nice 5, 10, 19): the catch-up barely
// slowed, and the live p99 was no better either. Standing aside while the event loop fans out live
// events (a shared-memory flag, session 10) did not lower the live p99 while the catch-up stayed
// under 2 s; only holding it off 12 ms past each fan-out did (ratio 0.89-1.36), at 5-12 s per
// catch-up; nor did Linux's SCHED_IDLE policy for this thread (bench/resume, session 10).
import { parentPort, workerData } from 'node:worker_threads';
import { KafkaLog } from './kafka_log';
import { serveLogReads, type ReadPort } from './log_read_server';

const { brokers, clientId } = workerData as { brokers: string[]; clientId: string };
serveLogReads(parentPort as ReadPort, new KafkaLog(brokers, clientId));
