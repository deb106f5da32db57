import { connectRedis, RedisKeys } from '@switchyard/shared';
import { loadGatewayConfig } from '../config';
import { DeadLetters } from '../events/dead-letters';

const USAGE = `Usage: npm run events -- <command>
  dead-letters            list events the recorder could not write, with why
  replay <id>... | --all  put dead-lettered events back on the event stream (after a fix)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...ids] = argv;
  const replayAll = ids.length === 1 && ids[0] === '--all';
  if (command !== 'dead-letters' && !(command === 'replay' && ids.length > 0)) {
    console.error(USAGE);
    return 2;
  }
  const config = loadGatewayConfig();
  const keys = new RedisKeys(config.REDIS_PREFIX);
  const redis = connectRedis(config.REDIS_URL, 'durable', 'events-cli');
  try {
    const deadLetters = new DeadLetters(redis, keys.events, keys.deadEvents);
    if (command === 'dead-letters') {
      console.log(JSON.stringify(await deadLetters.list(1_000), null, 2));
    } else {
      const replayed = await deadLetters.replay(replayAll ? [] : ids);
      console.log(`Replayed ${replayed} event(s) onto ${keys.events}`);
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
