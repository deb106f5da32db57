import type { StartedTestContainer } from 'testcontainers';

declare global {
  var switchyardTestContainers: StartedTestContainer[] | undefined;
}

/**
 * Gives the tests a Redis and a Postgres. Where a container engine answers and the environment
 * names no servers, throwaway containers are started; otherwise the tests use REDIS_URL and
 * DATABASE_URL, or the local servers at their default ports.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.REDIS_URL && process.env.DATABASE_URL) return;
  const { GenericContainer, getContainerRuntimeClient, Wait } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch {
    return; // no container engine here: use the local services
  }
  const redis = await new GenericContainer('redis:7-alpine').withExposedPorts(6379).start();
  const postgres = await new GenericContainer('postgres:16-alpine')
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust', POSTGRES_DB: 'test' })
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  process.env.REDIS_URL = `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`;
  process.env.DATABASE_URL = `postgres://postgres@${postgres.getHost()}:${postgres.getMappedPort(5432)}/test`;
  globalThis.switchyardTestContainers = [redis, postgres];
}
