// Brings a fresh clone to a runnable state: dependencies, the Prisma client and generated models.
// Each step is skipped when its inputs have not changed since it last ran, so this is cheap to
// call before every build, test or start.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stampDir = join(root, 'node_modules', '.switchyard');

function fingerprint(paths) {
  const hash = createHash('sha256');
  for (const path of paths) hash.update(existsSync(join(root, path)) ? readFileSync(join(root, path)) : path);
  return hash.digest('hex');
}

function upToDate(step, inputs, outputs) {
  const stamp = join(stampDir, `${step}.sha256`);
  const current = fingerprint(inputs);
  const fresh = outputs.every((path) => existsSync(join(root, path))) && existsSync(stamp) && readFileSync(stamp, 'utf8') === current;
  return {
    fresh,
    record: () => {
      mkdirSync(stampDir, { recursive: true });
      writeFileSync(stamp, current);
    },
  };
}

function run(command, args, env = {}) {
  console.log(`[setup] ${command} ${args.join(' ')}`);
  execFileSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
}

const npmCommand = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const dependencies = upToDate('dependencies', ['package.json', 'package-lock.json'], ['node_modules/.bin/node']);
if (!dependencies.fresh) {
  // `npm ci` installs exactly the committed lock file and never rewrites it, so a fresh clone stays
  // clean; the lock file lists every platform's optional binaries, so it is in sync everywhere.
  // onnxruntime-node's install script downloads CUDA libraries; the CPU runtime ships in the package.
  run(npmCommand, ['ci', '--no-audit', '--no-fund'], { ONNXRUNTIME_NODE_INSTALL: 'skip' });
  dependencies.record();
}

const prismaClient = upToDate('prisma-client', ['prisma/schema.prisma', 'package-lock.json'], ['libs/db/src/generated/prisma/client.ts']);
if (!prismaClient.fresh) {
  // `prisma generate` only checks that a schema engine file exists; it never runs it. The engine
  // itself is a download that offline machines cannot make, and the client does not need it.
  run(join(root, 'node_modules/.bin/prisma'), ['generate'], {
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
    CHECKPOINT_DISABLE: '1',
  });
  prismaClient.record();
}
