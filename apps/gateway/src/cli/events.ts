import { connectRedis, RedisKeys } from '@switchyard/shared';
import { loadGatewayConfig } from '../config';
import { DeadLetters } from '../events/dead-letters';
import { gatewayEndpoints } from '../infra/gateway-endpoints';

const USAGE = `Usage: npm run events -- <command>
  dead-letters                    list events the recorder could not write, with their queue and why
  replay <queue> <id>... | --all  put dead-lettered events back on their queue's event stream (after a fix)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const replayAll = rest.length === 1 && rest[0] === '--all';
  if (command !== 'dead-letters' && !(command === 'replay' && (replayAll || rest.length >= 2))) {
    console.error(USAGE);
    return 2;
  }
  const config = loadGatewayConfig();
  const keys = new RedisKeys(config.REDIS_PREFIX);
  const queues = gatewayEndpoints(config)
    .contracts()
    .map(({ queue }) => queue);
  const redis = connectRedis(config.REDIS_URL, 'durable', 'events-cli');
  const deadLettersOf = (queue: string) => new DeadLetters(redis, keys.queue(queue));
  try {
    if (command === 'dead-letters') {
      const listed = await Promise.all(queues.map(async (queue) => (await deadLettersOf(queue).list(1_000)).map((letter) => ({ queue, ...letter }))));
      console.log(JSON.stringify(listed.flat(), null, 2));
    } else if (replayAll) {
      const replayed = await Promise.all(queues.map((queue) => deadLettersOf(queue).replay()));
      console.log(`Replayed ${replayed.reduce((sum, count) => sum + count, 0)} event(s)`);
    } else {
      const [queue, ...ids] = rest;
      if (!queues.includes(queue)) throw new Error(`Unknown queue "${queue}"; queues: ${queues.join(', ')}`);
      console.log(`Replayed ${await deadLettersOf(queue).replay(ids)} event(s) onto ${keys.queue(queue).events}`);
    }
    return 0;
  } finally {
    redis.disconnect();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
