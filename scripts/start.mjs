// `npm start`: runs the whole platform on this machine — the gateway and every worker, each in its
// own process — with embedded defaults: PGlite when DATABASE_URL is unset, a local redis-server
// when none answers and one is installed, and a generated API key when none is given.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stateDir = join(root, '.switchyard');
mkdirSync(stateDir, { recursive: true });

const APPS = [
  { name: 'gateway', entry: 'apps/gateway/dist/index.js', env: {} },
  { name: 'detector-worker', entry: 'apps/detector-worker/dist/index.js', env: { HEALTH_PORT: '8091' } },
  { name: 'embedder', entry: 'apps/embedder/dist/index.js', env: { HEALTH_PORT: '8092' } },
  { name: 'generator', entry: 'apps/generator/dist/index.js', env: { HEALTH_PORT: '8093' } },
  { name: 'deployer', entry: 'apps/deployer/dist/index.js', env: { HEALTH_PORT: '8094' } },
];

function log(message) {
  console.log(`[switchyard] ${message}`);
}

const DEFAULT_PORTS = { 'redis:': 6379, 'rediss:': 6379, 'http:': 80, 'https:': 443 };

function reachable(url) {
  const { hostname, port, protocol } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || DEFAULT_PORTS[protocol]) });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const children = [];
let stopping = false;

function stopAll(code) {
  if (stopping) return;
  stopping = true;
  log('stopping: workers finish their active jobs first');
  for (const child of children) child.kill('SIGTERM');
  const wait = setInterval(() => {
    if (children.every((child) => child.exitCode !== null || child.signalCode !== null)) {
      clearInterval(wait);
      process.exit(code);
    }
  }, 100);
}

function run(name, command, args, env) {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
  children.push(child);
  child.once('exit', (code, signal) => {
    if (!stopping) {
      log(`${name} exited (${signal ?? code}); stopping the platform`);
      stopAll(code || 1);
    }
  });
  return child;
}

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
if (!(await reachable(redisUrl))) {
  const redisServer = spawnSync('redis-server', ['--version']).status === 0;
  if (!redisServer || process.env.REDIS_URL) {
    console.error(
      `[switchyard] No Redis answers at ${redisUrl}. Start one, or install redis-server (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) and run npm start again.`,
    );
    process.exit(1);
  }
  const redisDir = join(stateDir, 'redis');
  mkdirSync(redisDir, { recursive: true });
  log('starting a local redis-server (AOF on, noeviction) in .switchyard/redis');
  run(
    'redis-server',
    'redis-server',
    ['--port', '6379', '--bind', '127.0.0.1', '--dir', redisDir, '--appendonly', 'yes', '--maxmemory-policy', 'noeviction', '--save', ''],
    {},
  );
  for (let i = 0; i < 50 && !(await reachable(redisUrl)); i++) await new Promise((resolve) => setTimeout(resolve, 100));
}

const keyFile = join(stateDir, 'dev-api-key');
let apiKey = process.env.SWITCHYARD_API_KEY;
if (!apiKey) {
  if (!existsSync(keyFile)) writeFileSync(keyFile, `sy_dev_${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  apiKey = readFileSync(keyFile, 'utf8').trim();
  log(`SWITCHYARD_API_KEY not set: using the development key in .switchyard/dev-api-key: ${apiKey}`);
}
// Gateway and workers share JOB_SECRETS_KEY: it seals s3Config secrets and deployments' RunPod keys for them.
const jobSecretsFile = join(stateDir, 'job-secrets-key');
let jobSecretsKey = process.env.JOB_SECRETS_KEY;
if (!jobSecretsKey) {
  if (!existsSync(jobSecretsFile)) writeFileSync(jobSecretsFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  jobSecretsKey = readFileSync(jobSecretsFile, 'utf8').trim();
  log('JOB_SECRETS_KEY not set: using the development key in .switchyard/job-secrets-key');
}
if (!process.env.DATABASE_URL) log('DATABASE_URL not set: using the embedded PGlite database in .switchyard/pgdata');

// Model workers fetch real weights from the Hugging Face Hub unless MODEL_DIR points at a folder.
// Where the Hub cannot be reached, the generated test models (random weights, real shapes) keep
// the platform usable for trying the API; their vectors mean nothing.
const modelEnv = {};
const hubUrl = process.env.HF_ENDPOINT ?? 'https://huggingface.co';
if (!process.env.MODEL_DIR && !(await reachable(hubUrl))) {
  modelEnv.MODEL_DIR = join(root, 'models/tiny');
  log(
    `${hubUrl} is unreachable and MODEL_DIR is not set: model workers use the generated test models in models/tiny (random weights). Set MODEL_DIR to real weights; see docs/models.md.`,
  );
}

// This launcher is for trying the platform: development mode, unless told otherwise (tracebacks in job errors).
// SPAI's weights are published on Google Drive, not on the Hub: without an export in the model
// folder (docs/models.md), the detector worker serves the generated replica instead of failing.
const modelDir = process.env.MODEL_DIR ?? modelEnv.MODEL_DIR;
const detectorWorkerEnv = {};
if (!process.env.SPAI_REPO && !(modelDir && existsSync(join(modelDir, 'mever-team/spai')))) {
  detectorWorkerEnv.MODEL_DIR = join(root, 'models/tiny');
  log(
    'no SPAI export in MODEL_DIR (its weights are not on the Hub): the detector worker uses the generated replicas in models/tiny (random weights), for SPAI and the text detector; see docs/models.md.',
  );
}

// The text detector's default model is on the Hub; where MODEL_DIR lacks it and the Hub cannot be
// reached, the detector worker serves the generated replica too (random weights).
const TEXT_DETECTOR_REPO = 'onnx-community/roberta-base-openai-detector-ONNX';
if (
  !detectorWorkerEnv.MODEL_DIR &&
  !process.env.TEXT_DETECTOR_MODELS &&
  modelDir &&
  !existsSync(join(modelDir, TEXT_DETECTOR_REPO)) &&
  !(await reachable(hubUrl))
) {
  detectorWorkerEnv.MODEL_DIR = join(root, 'models/tiny');
  log(`no ${TEXT_DETECTOR_REPO} in MODEL_DIR and ${hubUrl} is unreachable: the detector worker uses the generated replicas in models/tiny (random weights).`);
}

// No ONNX export of playground-v2.5 (the generator's default) is published: without one in the
// model folder, the generator serves the generated replicas instead of failing.
const GENERATOR_REPO = 'playgroundai/playground-v2.5-1024px-aesthetic';
const generatorEnv = {};
if (!process.env.GENERATOR_MODEL_REPO && !(modelDir && existsSync(join(modelDir, GENERATOR_REPO)))) {
  generatorEnv.MODEL_DIR = join(root, 'models/tiny');
  log(
    `no ${GENERATOR_REPO} ONNX export in MODEL_DIR (none is published): the generator uses the generated replicas in models/tiny (random weights); see docs/models.md.`,
  );
}

const appEnv = { 'detector-worker': detectorWorkerEnv, generator: generatorEnv };
const shared = {
  NODE_ENV: process.env.NODE_ENV ?? 'development',
  REDIS_URL: redisUrl,
  SWITCHYARD_API_KEY: apiKey,
  JOB_SECRETS_KEY: jobSecretsKey,
  ...modelEnv,
};
for (const app of APPS) run(app.name, process.execPath, [join(root, app.entry)], { ...shared, ...app.env, ...appEnv[app.name] });
log(`gateway on http://localhost:${process.env.PORT ?? 8080} (docs at /docs, dashboard at /dashboard)`);

process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));
