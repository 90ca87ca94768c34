import { GenericContainer, getContainerRuntimeClient, Wait, type StartedTestContainer } from 'testcontainers';
import { pgAdminUrlFor } from './config';
import { freePort } from './ports';

/**
 * Kafka and PostgreSQL in containers, for machines with a Docker engine (the same images as
 * infra/docker-compose.yml). Not exercised on the project's CI, which has no Docker engine.
 */
export async function dockerAvailable(): Promise<boolean> {
  try {
    await Promise.race([getContainerRuntimeClient(), new Promise((_, reject) => setTimeout(() => reject(new Error('no answer')), 5000))]);
    return true;
  } catch {
    return false;
  }
}

export interface StartedServer<T> {
  address: T;
  stop(): Promise<void>;
}

async function dockerHost(): Promise<string> {
  return (await getContainerRuntimeClient()).info.containerRuntime.host;
}

export async function startKafkaContainer(): Promise<StartedServer<string>> {
  // Clients must be told the host-side address, so the host port is chosen before the start.
  const [host, hostPort] = await Promise.all([dockerHost(), freePort()]);
  const container: StartedTestContainer = await new GenericContainer('apache/kafka:4.1.1')
    .withExposedPorts({ container: 9092, host: hostPort })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${host}:${hostPort}`,
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'true',
      KAFKA_NUM_PARTITIONS: '3',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '10',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_HEAP_OPTS: '-Xms128m -Xmx512m',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(120_000)
    .start();
  return { address: `${host}:${hostPort}`, stop: async () => void (await container.stop()) };
}

export async function startPostgresContainer(): Promise<StartedServer<string>> {
  const container = await new GenericContainer('postgres:17')
    .withExposedPorts(5432)
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
    .withCommand(['postgres', '-c', 'fsync=off', '-c', 'max_connections=300'])
    // The image restarts the server once after initialisation; the second message is the real one.
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .withStartupTimeout(120_000)
    .start();
  return {
    address: pgAdminUrlFor(container.getHost(), container.getMappedPort(5432)),
    stop: async () => void (await container.stop()),
  };
}
