import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { parse, parseAllDocuments } from 'yaml';
import { loadModelRuntimeConfig } from '@switchyard/model-runtime';
import { POLICY_LIMITS, RedisKeys } from '@switchyard/shared';
// The config module alone: the package's barrel loads NestJS, which Jest can only load as ESM.
import { loadWorkerConfig } from '@switchyard/worker/src/worker-config';
import { loadGatewayConfig } from '../apps/gateway/src/config';

/**
 * The deployment artifacts (Dockerfile, docker-compose.yml, k8s/) checked against the code they
 * deploy: every app is deployed, with the ports, queues, probes and settings its code reads.
 * No Docker engine or cluster is needed; one test uses the development Redis to confirm the key
 * that KEDA watches.
 */

const ROOT = resolve(__dirname, '..');
const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

type WorkerApp = { role: 'worker'; queues: string[]; models: boolean; gpu: boolean };
type AppSpec = { role: 'http'; port: number } | WorkerApp;

/** What each app in apps/ is; a new app fails the first test until it is added here and deployed. */
const APPS: Record<string, AppSpec> = {
  gateway: { role: 'http', port: 8080 },
  'detector-worker': { role: 'worker', queues: ['spai', 'text-detector'], models: true, gpu: true },
  embedder: { role: 'worker', queues: ['embedder'], models: true, gpu: false },
  generator: { role: 'worker', queues: ['generator', 'upscaler'], models: true, gpu: true },
  deployer: { role: 'worker', queues: ['deployer'], models: false, gpu: false },
};
const WORKER_HEALTH_PORT = 8081;
const WORKERS = Object.entries(APPS).filter((entry): entry is [string, WorkerApp] => entry[1].role === 'worker');
const MODEL_WORKERS = WORKERS.filter(([, spec]) => spec.models);
/** A job may run up to its execution timeout; stopping a worker must leave it that long. */
const JOB_GRACE_SECONDS = POLICY_LIMITS.executionTimeout.default / 1000;

const appCommand = (app: string) => ['node', `apps/${app}/dist/index.js`];
const readText = (path: string) => readFileSync(join(ROOT, path), 'utf8');

// ---------------------------------------------------------------------------------------------
// Dockerfile

interface DockerInstruction {
  keyword: string;
  args: string;
}

interface DockerStage {
  from: string;
  name?: string;
  instructions: DockerInstruction[];
}

function parseDockerfile(text: string): { globalArgs: Map<string, string>; stages: DockerStage[] } {
  const instructions = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [, keyword, args] = /^(\S+)\s+(.*)$/.exec(line) ?? [];
      return { keyword: keyword.toUpperCase(), args };
    });
  const globalArgs = new Map<string, string>();
  const stages: DockerStage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args) ?? [];
      stages.push({ from, name, instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [key, value = ''] = instruction.args.split('=');
      globalArgs.set(key, value);
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

const argsOf = (stage: DockerStage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

describe('Dockerfile', () => {
  const { globalArgs, stages } = parseDockerfile(readText('Dockerfile'));
  const stage = (name: string) => {
    const found = stages.find((candidate) => candidate.name === name);
    if (!found) throw new Error(`Dockerfile has no stage "${name}"`);
    return found;
  };
  const runtime = stages.at(-1)!;

  it('builds on node:24-bookworm-slim in stages and ends with the runtime stage', () => {
    expect(globalArgs.get('NODE_IMAGE')).toBe('node:24-bookworm-slim');
    expect(stage('build').from).toBe('${NODE_IMAGE}');
    expect(runtime.name).toBe('runtime');
    expect(runtime.from).toBe('${RUNTIME_IMAGE}');
    expect(globalArgs.get('RUNTIME_IMAGE')).toBe('${NODE_IMAGE}');
  });

  it('installs, generates the Prisma client and builds every package in the build stage', () => {
    const runs = argsOf(stage('build'), 'RUN').join('\n');
    expect(runs).toContain('node scripts/setup.mjs');
    expect(runs).toMatch(/nx run-many -t build/);
  });

  it('skips the onnxruntime CUDA download unless the ONNXRUNTIME_NODE_INSTALL build argument asks for it', () => {
    const build = stage('build');
    expect(argsOf(build, 'ARG')).toContain('ONNXRUNTIME_NODE_INSTALL=skip');
    const install = argsOf(build, 'RUN').find((run) => run.includes('onnxruntime-node/script/install.js'));
    expect(install).toMatch(/"\$ONNXRUNTIME_NODE_INSTALL" != "skip"/);
    expect(existsSync(join(ROOT, 'node_modules/onnxruntime-node/script/install.js'))).toBe(true);
  });

  it('copies from the build context only files that exist and that .dockerignore lets through', () => {
    const ignored = new Set(
      readText('.dockerignore')
        .split('\n')
        .map((line) => line.trim()),
    );
    const sources = stages
      .flatMap((candidate) => argsOf(candidate, 'COPY'))
      .filter((args) => !args.startsWith('--from'))
      .flatMap((args) =>
        args
          .replace(/--\S+\s+/g, '')
          .split(/\s+/)
          .slice(0, -1),
      )
      .filter((source) => source !== '.');
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'scripts', 'prisma', 'apps', 'libs']));
    for (const source of sources) {
      expect(existsSync(join(ROOT, source)) ? source : `${source} (missing)`).toBe(source);
      expect(ignored.has(source) ? `${source} (ignored)` : source).toBe(source);
    }
  });

  it('keeps dependencies, build output, models and local state out of the build context', () => {
    const ignored = readText('.dockerignore')
      .split('\n')
      .map((line) => line.trim());
    for (const pattern of ['node_modules', 'dist', '.git', 'models', '.switchyard']) {
      expect(ignored.some((line) => line === pattern || line === `**/${pattern}`) ? pattern : `${pattern} (not ignored)`).toBe(pattern);
    }
  });

  it('runs as a numeric non-root user under tini, the gateway by default', () => {
    const user = argsOf(runtime, 'USER').at(-1) ?? '';
    expect(user).toMatch(/^\d+:\d+$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
    expect(argsOf(runtime, 'COPY').some((args) => /tini\S*\s+\/usr\/bin\/tini$/.test(args))).toBe(true);
    expect(JSON.parse(argsOf(runtime, 'ENTRYPOINT').at(-1)!)).toEqual(['/usr/bin/tini', '--']);
    expect(JSON.parse(argsOf(runtime, 'CMD').at(-1)!)).toEqual(appCommand('gateway'));
  });

  it('ships the migrations that libs/db reads at run time', () => {
    expect(argsOf(runtime, 'COPY')).toContain('--from=build /app/prisma/migrations prisma/migrations');
    expect(existsSync(join(ROOT, 'prisma/migrations'))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// docker compose

interface ComposeService {
  image?: string;
  build?: { context: string; args?: Record<string, string> };
  command?: string[];
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
  profiles?: string[];
  volumes?: string[];
  stop_grace_period?: string;
  deploy?: { resources?: { reservations?: { devices?: Array<{ driver?: string; count?: number; capabilities: string[] }> } } };
}

/** Resolves `${NAME:-default}` to its default (the shell is empty here) and `$$` to `$`. */
function interpolate(value: string): string {
  return value.replace(/\$\$|\$\{(\w+)(?::-([^}]*))?\}/g, (match, _name, fallback: string | undefined) => (match === '$$' ? '$' : (fallback ?? '')));
}

/** The environment a service's container gets when the shell sets nothing. */
function composeEnvironment(service: ComposeService): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [key, value] of Object.entries(service.environment ?? {})) {
    // A key without a value is passed through from the shell, and absent when the shell lacks it.
    if (value !== null) environment[key] = interpolate(String(value));
  }
  return environment;
}

function composeSeconds(duration: string | undefined): number {
  const [, hours = '0', minutes = '0', seconds = '0'] = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration ?? '') ?? [];
  return Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds);
}

describe('docker-compose.yml', () => {
  const compose = parse(readText('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
  const service = (name: string) => {
    const found = compose.services[name];
    if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
    return found;
  };
  const healthcheckUrl = (candidate: ComposeService) => candidate.healthcheck?.test.join(' ').match(/http:\/\/127\.0\.0\.1:\d+\/\w+/)?.[0];

  it('runs every app as a service of the same name with its own entry point', () => {
    for (const app of Object.keys(APPS)) {
      expect(service(app).command).toEqual(appCommand(app));
      expect(interpolate(service(app).image ?? '')).toBe('switchyard:local');
      expect(service(app).build?.context).toBe('.');
    }
  });

  it('runs Redis 7 with AOF persistence and the noeviction policy BullMQ needs', () => {
    const redis = service('redis');
    expect(redis.image).toBe('redis:7');
    const command = redis.command!.join(' ');
    expect(command).toMatch(/--appendonly yes\b/);
    expect(command).toMatch(/--maxmemory-policy noeviction\b/);
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it('runs Postgres 16 and MinIO with health checks, and creates the model bucket the workers use', () => {
    expect(service('postgres').image).toBe('postgres:16');
    expect(service('postgres').healthcheck?.test).toContain('pg_isready');
    expect(interpolate(service('minio').image!)).toMatch(/^minio\/minio:/);
    expect(service('minio').healthcheck).toBeDefined();
    const init = service('minio-init');
    expect(interpolate(init.image!)).toMatch(/^minio\/mc:/);
    expect(init.depends_on?.minio.condition).toBe('service_healthy');
    for (const [app] of MODEL_WORKERS) {
      const bucket = composeEnvironment(service(app)).MODEL_S3_BUCKET;
      expect(init.command!.join(' ')).toContain(`mc mb --ignore-existing store/${bucket}`);
    }
  });

  it('starts the gateway on 8080 after healthy Redis and Postgres, checked on /ready', () => {
    const gateway = service('gateway');
    const config = loadGatewayConfig(composeEnvironment(gateway));
    expect(config.PORT).toBe(8080);
    expect(config.DATABASE_URL).toMatch(/^postgresql:\/\/.+@postgres:5432\//);
    expect(config.REDIS_URL).toBe('redis://redis:6379');
    expect(config.REDIS_PREFIX).toBe('sy');
    expect(interpolate(gateway.ports![0])).toBe('8080:8080');
    expect(gateway.depends_on).toEqual({
      redis: { condition: 'service_healthy' },
      postgres: { condition: 'service_healthy' },
      // The blob bucket, where large inputs and outputs go.
      'minio-init': { condition: 'service_completed_successfully' },
    });
    expect(healthcheckUrl(gateway)).toBe('http://127.0.0.1:8080/ready');
  });

  it('runs the gateway as its API and, apart, as the recorder, notifier and relay with a fixed consumer name', () => {
    const api = loadGatewayConfig(composeEnvironment(service('gateway')));
    const recorderService = service('gateway-recorder');
    const recorder = loadGatewayConfig(composeEnvironment(recorderService));
    expect(api.GATEWAY_ROLES).toEqual(['api']);
    expect(recorder.GATEWAY_ROLES).toEqual(['recorder', 'notifier', 'relay']);
    expect(recorderService.command).toEqual(appCommand('gateway'));
    expect(composeEnvironment(recorderService)).toHaveProperty('RECORDER_CONSUMER', recorder.RECORDER_CONSUMER);
    expect(recorderService.ports).toBeUndefined();
    expect({
      ...recorder,
      GATEWAY_ROLES: api.GATEWAY_ROLES,
      RECORDER_CONSUMER: api.RECORDER_CONSUMER,
      RECORDER_READY_MAX_LAG_MS: api.RECORDER_READY_MAX_LAG_MS,
    }).toEqual(api);
    expect(recorderService.depends_on).toEqual(service('gateway').depends_on);
    expect(healthcheckUrl(recorderService)).toBe('http://127.0.0.1:8080/ready');
  });

  it('leaves secrets to the shell: a key without a value is absent rather than empty', () => {
    const gateway = composeEnvironment(service('gateway'));
    expect(gateway).not.toHaveProperty('SWITCHYARD_API_KEY');
    expect(gateway).not.toHaveProperty('SWITCHYARD_WEBHOOK_SECRET');
    expect(composeEnvironment(service('deployer'))).not.toHaveProperty('JOB_SECRETS_KEY');
  });

  it.each(WORKERS)('runs %s on its queue, with health on 8081 and a grace period for active jobs', (app, spec) => {
    const worker = service(app);
    const config = loadWorkerConfig(app, [], composeEnvironment(worker));
    expect(config.WORKER_QUEUES).toEqual(spec.queues);
    expect(config.HEALTH_PORT).toBe(WORKER_HEALTH_PORT);
    expect(config.REDIS_PREFIX).toBe('sy');
    expect(healthcheckUrl(worker)).toBe(`http://127.0.0.1:${WORKER_HEALTH_PORT}/ready`);
    expect(worker.depends_on?.redis.condition).toBe('service_healthy');
    expect(composeSeconds(worker.stop_grace_period)).toBeGreaterThanOrEqual(JOB_GRACE_SECONDS);
  });

  it.each(MODEL_WORKERS)('gives %s the model store: folder, writable cache volume, S3 cache and CPU provider', (app) => {
    const worker = service(app);
    const models = loadModelRuntimeConfig(composeEnvironment(worker), '/app');
    expect(models.sessions.executionProviders).toEqual(['cpu']);
    expect(models.store.s3).toMatchObject({ endpoint: 'http://minio:9000', forcePathStyle: true });
    expect(models.store.s3?.credentials).toBeDefined();
    expect(worker.volumes).toContain(`model-cache:${models.store.cacheDir}`);
    expect(worker.volumes?.map(interpolate)).toContain(`./models:${models.store.modelDir}:ro`);
    expect(worker.depends_on?.['minio-init'].condition).toBe('service_completed_successfully');
  });

  it.each(MODEL_WORKERS)('has a GPU variant of %s in the gpu profile that reserves an NVIDIA device and uses CUDA first', (app) => {
    const gpu = service(`${app}-gpu`);
    expect(gpu.profiles).toEqual(['gpu']);
    expect(gpu.command).toEqual(appCommand(app));
    expect(gpu.deploy?.resources?.reservations?.devices).toEqual([expect.objectContaining({ driver: 'nvidia', capabilities: ['gpu'] })]);
    expect(gpu.build?.args?.ONNXRUNTIME_NODE_INSTALL).toBe('cuda12');
    expect(interpolate(gpu.image!)).not.toBe(interpolate(service(app).image!));
    const environment = composeEnvironment(gpu);
    expect(loadModelRuntimeConfig(environment).sessions.executionProviders).toEqual(['cuda', 'cpu']);
    expect(loadWorkerConfig(app, [], environment).WORKER_QUEUES).toEqual(loadWorkerConfig(app, [], composeEnvironment(service(app))).WORKER_QUEUES);
  });

  it('keeps every service other than the GPU variants out of profiles, so `docker compose up` starts them', () => {
    const profiled = Object.entries(compose.services)
      .filter(([, candidate]) => candidate.profiles)
      .map(([name]) => name);
    expect(profiled.sort()).toEqual(MODEL_WORKERS.map(([app]) => `${app}-gpu`).sort());
  });
});

// ---------------------------------------------------------------------------------------------
// Kubernetes

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
  };
}

interface HttpProbe {
  httpGet: { path: string; port: number | string };
}

interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: EnvVar[];
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  startupProbe?: HttpProbe;
  livenessProbe?: HttpProbe;
  readinessProbe?: HttpProbe;
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

interface PodSpec {
  containers: Container[];
  restartPolicy?: string;
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  tolerations?: Array<{ key: string; operator: string; effect?: string }>;
  volumes?: Array<{ name: string; emptyDir?: object }>;
}

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  $patch?: string;
}

interface Kustomization {
  namespace?: string;
  resources?: string[];
  components?: string[];
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
  replicas?: Array<{ name: string; count: number }>;
  patches?: Array<{ path?: string; patch?: string; target?: { kind?: string; name?: string } }>;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(entry) ? [path] : [];
  });
}

function parseManifests(path: string): Manifest[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((document) => {
    if (document.errors.length) throw new Error(`${relative(ROOT, path)}: ${document.errors[0].message}`);
    return document.toJS() as Manifest;
  });
}

const K8S = join(ROOT, 'k8s');
const BASE = join(K8S, 'base');
const OVERLAYS = ['dev', 'production'].map((name) => join(K8S, 'overlays', name));
const kustomizationFiles = yamlFiles(K8S).filter((path) => /kustomization\.ya?ml$/.test(path));
const readKustomization = (dir: string) => parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;

/** The objects a kustomization folder's `resources` list, recursively (a missing file fails its own test). */
function kustomizeResources(dir: string): Manifest[] {
  return (readKustomization(dir).resources ?? []).flatMap((resource) => {
    const path = join(dir, resource);
    if (!existsSync(path)) return [];
    return statSync(path).isDirectory() ? kustomizeResources(path) : parseManifests(path);
  });
}

describe('k8s/', () => {
  const base = kustomizeResources(BASE);
  const find = (kind: string, name: string) => {
    const found = base.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);
    if (!found) throw new Error(`k8s/base has no ${kind} "${name}"`);
    return found;
  };
  const configMap = find('ConfigMap', 'switchyard-config');
  const secret = find('Secret', 'switchyard-secrets');
  const podOf = (manifest: Manifest) => manifest.spec.template.spec as PodSpec;
  const appContainer = (manifest: Manifest) => {
    const pod = podOf(manifest);
    expect(pod.containers).toHaveLength(1);
    return pod.containers[0];
  };

  /** The environment the container sees, with Secret values taken from the template and the pod name faked. */
  function containerEnvironment(container: Container): Record<string, string> {
    const environment: Record<string, string> = {};
    for (const source of container.envFrom ?? []) {
      expect(source.configMapRef?.name).toBe(configMap.metadata.name);
      Object.assign(environment, configMap.data);
    }
    for (const variable of container.env ?? []) {
      const from = variable.valueFrom;
      if (variable.value !== undefined) environment[variable.name] = variable.value;
      else if (from?.fieldRef) environment[variable.name] = `pod-of-${from.fieldRef.fieldPath}`;
      else if (from?.secretKeyRef) {
        expect(from.secretKeyRef.name).toBe(secret.metadata.name);
        const value = secret.stringData?.[from.secretKeyRef.key];
        expect(value === undefined && !from.secretKeyRef.optional ? `${from.secretKeyRef.key} (missing from the Secret)` : 'ok').toBe('ok');
        if (value !== undefined) environment[variable.name] = value;
      } else throw new Error(`${container.name}: unsupported env source for ${variable.name}`);
    }
    return environment;
  }

  function probePort(container: Container, probe: HttpProbe | undefined): number | undefined {
    const port = probe?.httpGet.port;
    return typeof port === 'number' ? port : container.ports?.find((candidate) => candidate.name === port)?.containerPort;
  }

  describe('kustomize', () => {
    it.each(kustomizationFiles.map((path) => [relative(ROOT, path)]))('%s lists only files that exist', (file) => {
      const dir = dirname(join(ROOT, file));
      const kustomization = readKustomization(dir);
      const listed = [
        ...(kustomization.resources ?? []),
        ...(kustomization.components ?? []),
        ...(kustomization.patches ?? []).flatMap((patch) => (patch.path ? [patch.path] : [])),
      ];
      for (const entry of listed) {
        const path = join(dir, entry);
        const exists = existsSync(path) && (!statSync(path).isDirectory() || existsSync(join(path, 'kustomization.yaml')));
        expect(exists ? entry : `${entry} (missing)`).toBe(entry);
      }
    });

    it.each(kustomizationFiles.map((path) => [relative(ROOT, dirname(path))]))('%s uses every YAML file it holds', (folder) => {
      const dir = join(ROOT, folder);
      const kustomization = readKustomization(dir);
      const used = new Set([...(kustomization.resources ?? []), ...(kustomization.patches ?? []).flatMap((patch) => (patch.path ? [patch.path] : []))]);
      const unused = readdirSync(dir).filter((file) => /\.ya?ml$/.test(file) && file !== 'kustomization.yaml' && !used.has(file));
      expect(unused).toEqual([]);
    });

    it('puts everything in the switchyard namespace', () => {
      expect(readKustomization(BASE).namespace).toBe('switchyard');
      expect(find('Namespace', 'switchyard').apiVersion).toBe('v1');
    });
  });

  describe('workloads', () => {
    const deployments = base.filter((manifest) => manifest.kind === 'Deployment');

    it('has a Deployment for every app and nothing else', () => {
      expect(deployments.map((deployment) => deployment.metadata.name).sort()).toEqual(Object.keys(APPS).sort());
    });

    it.each(Object.keys(APPS))('starts %s with args (tini stays the entrypoint) and matching selector labels', (app) => {
      const deployment = find('Deployment', app);
      const container = appContainer(deployment);
      expect(container.command).toBeUndefined();
      expect(container.args).toEqual(appCommand(app));
      expect(existsSync(join(ROOT, 'apps', app, 'src/index.ts'))).toBe(true);
      expect(deployment.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': app });
      expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
    });

    it.each(Object.keys(APPS))('gives %s liveness (/health), readiness (/ready) and start-up probes on its port', (app) => {
      const spec = APPS[app];
      const container = appContainer(find('Deployment', app));
      const port = spec.role === 'http' ? spec.port : WORKER_HEALTH_PORT;
      expect(container.livenessProbe?.httpGet.path).toBe('/health');
      expect(container.readinessProbe?.httpGet.path).toBe('/ready');
      expect(container.startupProbe?.httpGet.path).toBe('/health');
      for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) expect(probePort(container, probe)).toBe(port);
      const environment = containerEnvironment(container);
      if (spec.role === 'http') expect(environment.PORT).toBe(String(port));
      else expect(loadWorkerConfig(app, [], environment).HEALTH_PORT).toBe(port);
    });

    it.each(Object.keys(APPS))('sets CPU and memory requests and a memory limit for %s', (app) => {
      const { resources } = appContainer(find('Deployment', app));
      expect(resources?.requests).toEqual(expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }));
      expect(resources?.limits?.memory).toBeDefined();
    });

    const pods = [...Object.keys(APPS).map((app) => ['Deployment', app]), ['Job', 'migrate']];
    it.each(pods)('runs the %s %s as non-root on a read-only root file system', (kind, name) => {
      const pod = podOf(find(kind, name));
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
      for (const container of pod.containers) {
        expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        const mounts = container.volumeMounts ?? [];
        expect(mounts.map((mount) => mount.mountPath)).toContain('/tmp');
        for (const mount of mounts) expect(pod.volumes?.find((volume) => volume.name === mount.name)?.emptyDir).toBeDefined();
      }
    });

    it.each(WORKERS)('lets KEDA own the replica count of %s and gives active jobs time to finish', (app) => {
      const deployment = find('Deployment', app);
      expect(deployment.spec.replicas).toBeUndefined();
      expect(podOf(deployment).terminationGracePeriodSeconds).toBeGreaterThanOrEqual(JOB_GRACE_SECONDS);
    });

    it.each(WORKERS)('serves the %s queue from its Deployment', (app, spec) => {
      const environment = containerEnvironment(appContainer(find('Deployment', app)));
      expect(loadWorkerConfig(app, [], environment).WORKER_QUEUES).toEqual(spec.queues);
    });

    it.each(MODEL_WORKERS)('gives %s a writable model cache and the execution providers of its hardware', (app, spec) => {
      const deployment = find('Deployment', app);
      const container = appContainer(deployment);
      const models = loadModelRuntimeConfig(containerEnvironment(container), '/app');
      expect(models.sessions.executionProviders).toEqual(spec.gpu ? ['cuda', 'cpu'] : ['cpu']);
      expect(container.volumeMounts?.map((mount) => mount.mountPath)).toContain(models.store.cacheDir);
    });

    it.each(WORKERS)('requests a GPU and tolerates GPU nodes for %s exactly when it is a GPU worker', (app, spec) => {
      const deployment = find('Deployment', app);
      const { resources } = appContainer(deployment);
      const tolerations = podOf(deployment).tolerations ?? [];
      if (spec.gpu) {
        expect(Number(resources?.limits?.['nvidia.com/gpu'])).toBeGreaterThanOrEqual(1);
        expect(tolerations).toContainEqual(expect.objectContaining({ key: 'nvidia.com/gpu', operator: 'Exists' }));
        expect(appContainer(deployment).image).toBe('switchyard-gpu');
      } else {
        expect(resources?.limits?.['nvidia.com/gpu']).toBeUndefined();
        expect(resources?.requests?.['nvidia.com/gpu']).toBeUndefined();
      }
    });

    it.each(['deployer', 'gateway'])('gives %s the key that seals deployments’ secrets for the deployer', (name) => {
      const env = appContainer(find('Deployment', name)).env ?? [];
      expect(env.find((variable) => variable.name === 'JOB_SECRETS_KEY')?.valueFrom?.secretKeyRef).toEqual({
        name: 'switchyard-secrets',
        key: 'JOB_SECRETS_KEY',
      });
    });

    /** The gateway's configuration in a workload, with an operator's real values for the template's placeholders (refused on purpose, below). */
    const gatewayConfigOf = (workload: Manifest) =>
      loadGatewayConfig({
        ...containerEnvironment(appContainer(workload)),
        SWITCHYARD_API_KEY: 'k'.repeat(32),
        SWITCHYARD_WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
      });

    it('configures the gateway API replicas from the ConfigMap and Secret, with the api role alone', () => {
      const config = gatewayConfigOf(find('Deployment', 'gateway'));
      expect(config.PORT).toBe(8080);
      expect(config.DATABASE_URL).toMatch(/^postgresql:\/\//);
      expect(config.REDIS_PREFIX).toBe('sy');
      expect(config.GATEWAY_ROLES).toEqual(['api']);
      expect(podOf(find('Deployment', 'gateway')).terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
    });

    it('runs the recorder, notifier and relay as a StatefulSet of the gateway, each pod its own stable consumer', () => {
      const recorder = find('StatefulSet', 'gateway-recorder');
      const container = appContainer(recorder);
      expect(container.command).toBeUndefined();
      expect(container.args).toEqual(appCommand('gateway'));
      const config = gatewayConfigOf(recorder);
      expect(config.GATEWAY_ROLES).toEqual(['recorder', 'notifier', 'relay']);
      expect(config.RECORDER_CONSUMER).toBe('pod-of-metadata.name');
      expect({ ...config, GATEWAY_ROLES: [], RECORDER_CONSUMER: '', RECORDER_READY_MAX_LAG_MS: 0 }).toEqual({
        ...gatewayConfigOf(find('Deployment', 'gateway')),
        GATEWAY_ROLES: [],
        RECORDER_CONSUMER: '',
        RECORDER_READY_MAX_LAG_MS: 0,
      });
      expect(recorder.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'gateway-recorder' });
      expect(recorder.spec.template.metadata.labels).toMatchObject(recorder.spec.selector.matchLabels);
      // Stable pod names come from the StatefulSet's headless Service.
      const service = find('Service', recorder.spec.serviceName);
      expect(service.spec.clusterIP).toBe('None');
      expect(service.spec.selector).toEqual(recorder.spec.selector.matchLabels);
      expect(container.livenessProbe?.httpGet.path).toBe('/health');
      expect(container.readinessProbe?.httpGet.path).toBe('/ready');
      expect(container.startupProbe?.httpGet.path).toBe('/health');
      for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) expect(probePort(container, probe)).toBe(config.PORT);
      expect(container.resources?.requests).toEqual(expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }));
      expect(container.resources?.limits?.memory).toBeDefined();
      const pod = podOf(recorder);
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    });

    it('scales the gateway API replicas with a HorizontalPodAutoscaler that owns their count', () => {
      const autoscaler = find('HorizontalPodAutoscaler', 'gateway');
      expect(autoscaler.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'gateway' });
      expect(autoscaler.spec.minReplicas).toBeGreaterThanOrEqual(1);
      expect(autoscaler.spec.maxReplicas).toBeGreaterThanOrEqual(autoscaler.spec.minReplicas);
      expect(find('Deployment', 'gateway').spec.replicas).toBeUndefined();
      for (const overlay of OVERLAYS) expect((readKustomization(overlay).replicas ?? []).map((replicas) => replicas.name)).not.toContain('gateway');
    });

    it('exposes the gateway through a Service and keeps it available with a PodDisruptionBudget', () => {
      const gateway = find('Deployment', 'gateway');
      const service = find('Service', 'gateway');
      expect(service.spec.selector).toEqual(gateway.spec.selector.matchLabels);
      const port = service.spec.ports[0].targetPort;
      expect(probePort(appContainer(gateway), { httpGet: { path: '/', port } })).toBe(8080);
      const budget = find('PodDisruptionBudget', 'gateway');
      expect(budget.spec.selector.matchLabels).toEqual(gateway.spec.selector.matchLabels);
      expect(budget.spec.maxUnavailable ?? budget.spec.minAvailable).toBeDefined();
    });

    it('runs the migrate CLI in a Job that cannot fall back to an embedded database', () => {
      const job = find('Job', 'migrate');
      const pod = podOf(job);
      expect(['OnFailure', 'Never']).toContain(pod.restartPolicy);
      const container = pod.containers[0];
      expect(container.command).toBeUndefined();
      expect(container.args).toEqual(['node', 'libs/db/dist/migrate-cli.js']);
      expect(existsSync(join(ROOT, 'libs/db/src/migrate-cli.ts'))).toBe(true);
      const databaseUrl = container.env?.find((variable) => variable.name === 'DATABASE_URL');
      expect(databaseUrl?.valueFrom?.secretKeyRef).toEqual({ name: 'switchyard-secrets', key: 'DATABASE_URL' });
    });
  });

  describe('KEDA', () => {
    const scaledObjects = base.filter((manifest) => manifest.kind === 'ScaledObject');
    const keys = new RedisKeys(configMap.data!.REDIS_PREFIX);

    it('scales every worker and nothing else', () => {
      expect(scaledObjects.map((scaled) => scaled.spec.scaleTargetRef.name).sort()).toEqual(WORKERS.map(([app]) => app).sort());
    });

    it.each(WORKERS)('scales %s on the length of its BullMQ waiting list', (app, spec) => {
      const scaled = scaledObjects.find((candidate) => candidate.spec.scaleTargetRef.name === app)!;
      expect(scaled.apiVersion).toBe('keda.sh/v1alpha1');
      expect(find('Deployment', scaled.spec.scaleTargetRef.name).kind).toBe('Deployment');
      // Low-priority jobs wait in a sorted set this trigger does not count: never scale to zero.
      expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
      expect(scaled.spec.maxReplicaCount).toBeGreaterThanOrEqual(scaled.spec.minReplicaCount);
      // One trigger per queue served: KEDA scales on the longest waiting list.
      expect(scaled.spec.triggers).toHaveLength(spec.queues.length);
      for (const [index, trigger] of (scaled.spec.triggers as typeof scaled.spec.triggers).entries()) {
        const queue = spec.queues[index];
        expect(trigger.type).toBe('redis');
        expect(trigger.metadata.listName).toBe(`${keys.queue(queue).bullPrefix}:${queue}:wait`);
        expect(trigger.metadata.listName).toBe(`sy:{${queue}}:bull:${queue}:wait`);
        expect(trigger.metadata.listLength).toMatch(/^[1-9]\d*$/);
        // The address is read from the scale target's environment and must be the Redis of REDIS_URL.
        const environment = containerEnvironment(appContainer(find('Deployment', app)));
        const address = environment[trigger.metadata.addressFromEnv];
        expect(address).toBe(new URL(environment.REDIS_URL).host);
        // KEDA resolves the name from its own namespace.
        expect(address.split(':')[0]).toContain('.');
        const authentication = find('TriggerAuthentication', trigger.authenticationRef.name);
        for (const reference of authentication.spec.secretTargetRef) {
          expect(reference.name).toBe(secret.metadata.name);
          expect(secret.stringData).toHaveProperty(reference.key);
        }
      }
    });

    it('gives KEDA the same Redis password as REDIS_URL', () => {
      const { REDIS_URL, REDIS_PASSWORD } = secret.stringData!;
      expect(decodeURIComponent(new URL(REDIS_URL).password)).toBe(REDIS_PASSWORD);
    });

    it('watches the list where BullMQ keeps waiting jobs, and low-priority jobs sit outside it', async () => {
      const keys = new RedisKeys(`sy-deploy-test-${process.pid}`).queue('embedder');
      const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
      const queue = new Queue('embedder', { connection, prefix: keys.bullPrefix });
      try {
        await queue.addBulk([1, 2, 3].map((n) => ({ name: 'job', data: { n } })));
        await queue.add('job', { n: 4 }, { priority: 1 });
        const listName = `${keys.bullPrefix}:embedder:wait`;
        expect(await connection.type(listName)).toBe('list');
        expect(await connection.llen(listName)).toBe(3);
        expect(await connection.zcard(`${keys.bullPrefix}:embedder:prioritized`)).toBe(1);
      } finally {
        await queue.obliterate({ force: true });
        await queue.close();
        connection.disconnect();
      }
    });
  });

  describe('Secret template', () => {
    it('holds placeholders only, never a real-looking secret', () => {
      expect(secret.data).toBeUndefined();
      for (const [key, value] of Object.entries(secret.stringData ?? {})) {
        expect(value === '' || value.includes('CHANGE_ME') ? key : `${key} (${value.length} characters, not a placeholder)`).toBe(key);
      }
    });

    it('uses placeholders the gateway refuses, so a forgotten one stops start-up', () => {
      const environment = containerEnvironment(appContainer(find('Deployment', 'gateway')));
      expect(() => loadGatewayConfig({ ...environment, SWITCHYARD_WEBHOOK_SECRET: undefined })).toThrow(/SWITCHYARD_API_KEY/);
      expect(() => loadGatewayConfig({ ...environment, SWITCHYARD_API_KEY: undefined })).toThrow(/SWITCHYARD_WEBHOOK_SECRET/);
    });
  });

  describe('overlays', () => {
    const workloadImages = [
      ...new Set(
        base
          .filter((manifest) => ['Deployment', 'Job'].includes(manifest.kind))
          .flatMap((manifest) => podOf(manifest).containers.map((container) => container.image)),
      ),
    ];

    it.each(OVERLAYS.map((dir) => [relative(ROOT, dir)]))('%s builds on the base and names an image for every workload', (folder) => {
      const kustomization = readKustomization(join(ROOT, folder));
      expect(kustomization.resources).toContain('../../base');
      expect((kustomization.images ?? []).map((image) => image.name).sort()).toEqual(workloadImages.sort());
      for (const replicas of kustomization.replicas ?? []) {
        // A replica count on a KEDA-scaled worker would fight its autoscaler on every apply.
        expect(APPS[replicas.name]?.role).toBe('http');
      }
      for (const patch of kustomization.patches ?? []) {
        const target = patch.target;
        if (target?.name) expect(find(target.kind!, target.name).metadata.name).toBe(target.name);
      }
    });

    it('pins production images to a release tag in a registry', () => {
      for (const image of readKustomization(join(K8S, 'overlays/production')).images ?? []) {
        expect(image.newName).toContain('/');
        expect(image.newTag).toMatch(/^\d+\.\d+\.\d+/);
      }
    });

    it('runs more gateway API replicas in production than in dev', () => {
      /** The overlay's bound on the gateway's autoscaler, from its JSON patch of the base's HorizontalPodAutoscaler. */
      const bound = (overlay: string, field: 'minReplicas' | 'maxReplicas') => {
        const patch = readKustomization(join(K8S, 'overlays', overlay)).patches?.find(
          (candidate) => candidate.target?.kind === 'HorizontalPodAutoscaler' && candidate.target.name === 'gateway',
        );
        const operations = parse(patch?.patch ?? '[]') as Array<{ op: string; path: string; value: number }>;
        return operations.find((operation) => operation.op === 'replace' && operation.path === `/spec/${field}`)?.value ?? 0;
      };
      expect(bound('dev', 'minReplicas')).toBe(1);
      expect(bound('dev', 'maxReplicas')).toBe(1);
      expect(bound('production', 'minReplicas')).toBeGreaterThan(1);
      expect(bound('production', 'maxReplicas')).toBeGreaterThanOrEqual(bound('production', 'minReplicas'));
    });

    it('never applies the Secret template in production', () => {
      const dir = join(K8S, 'overlays/production');
      const deletions = (readKustomization(dir).patches ?? [])
        .flatMap((patch) => (patch.path ? parseManifests(join(dir, patch.path)) : []))
        .filter((manifest) => manifest.$patch === 'delete');
      expect(deletions).toContainEqual(expect.objectContaining({ kind: 'Secret', metadata: { name: secret.metadata.name } }));
    });
  });
});

describe('apps/', () => {
  it('holds exactly the apps these artifacts deploy', () => {
    const apps = readdirSync(join(ROOT, 'apps')).filter((entry) => existsSync(join(ROOT, 'apps', entry, 'package.json')));
    expect(apps.sort()).toEqual(Object.keys(APPS).sort());
  });
});
