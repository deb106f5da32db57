import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GENERATED_MODELS, hasTier, MODEL_KEYS, type ModelKey } from './manifest';
import type { Tier } from './models/architectures';
import type { ModelArtifacts } from './models/model-artifacts';
import { buildModel } from './models/model-builders';
import { writeOnnxFile } from './onnx/onnx-file-writer';

/**
 * Part of every model's fingerprint. Graph structure, initialiser descriptions and file contents
 * are fingerprinted directly; bump this only when the bytes change some other way (the random
 * generator, or how files are encoded).
 */
export const GENERATOR_VERSION = '1';

const STAMP_FILE = '.model-zoo-stamp.json';

export interface GeneratedFile {
  /** Path inside the repository folder. */
  readonly path: string;
  readonly bytes: number;
}

export interface GenerationResult {
  readonly model: ModelKey;
  readonly tier: Tier;
  /** `<outDir>/<tier>/<repoId>`, the folder a model store serves as a local repository. */
  readonly directory: string;
  readonly status: 'written' | 'up-to-date';
  readonly files: readonly GeneratedFile[];
  readonly seconds: number;
}

export interface GenerateOptions {
  readonly outDir: string;
  readonly tiers: readonly Tier[];
  /** Defaults to every model; a model without the requested tier is skipped. */
  readonly models?: readonly ModelKey[];
  /** Called as each model is done, for progress output. */
  readonly onResult?: (result: GenerationResult) => void;
}

interface Stamp {
  readonly generatorVersion: string;
  readonly fingerprint: string;
  readonly files: readonly GeneratedFile[];
}

export function modelDirectory(outDir: string, tier: Tier, model: ModelKey): string {
  return join(outDir, tier, ...GENERATED_MODELS[model].repoId.split('/'));
}

/**
 * Writes every requested model of every requested tier. A model whose folder already holds the
 * same generator output (per its stamp) is left alone, so a second run costs only the check.
 */
export async function generateModels(options: GenerateOptions): Promise<GenerationResult[]> {
  const results: GenerationResult[] = [];
  for (const tier of options.tiers) {
    for (const model of options.models ?? MODEL_KEYS) {
      if (!hasTier(model, tier)) continue;
      const result = await generateModel(model, tier, options.outDir);
      options.onResult?.(result);
      results.push(result);
    }
  }
  return results;
}

async function generateModel(model: ModelKey, tier: Tier, outDir: string): Promise<GenerationResult> {
  const started = performance.now();
  const directory = modelDirectory(outDir, tier, model);
  const artifacts = buildModel(model, tier);
  const fingerprint = fingerprintOf(artifacts);
  const stampPath = join(directory, STAMP_FILE);
  const finish = (status: GenerationResult['status'], files: readonly GeneratedFile[]): GenerationResult => ({
    model,
    tier,
    directory,
    status,
    files,
    seconds: (performance.now() - started) / 1000,
  });

  const existing = await readStamp(stampPath);
  if (existing?.fingerprint === fingerprint && (await filesIntact(directory, existing.files))) return finish('up-to-date', existing.files);

  // Without its stamp a half-rewritten folder is never taken for finished.
  await rm(stampPath, { force: true });
  const files: GeneratedFile[] = [];
  for (const { path, graph } of artifacts.graphs) {
    const target = join(directory, path);
    await mkdir(dirname(target), { recursive: true });
    files.push({ path, bytes: await writeOnnxFile(target, graph, GENERATOR_VERSION) });
  }
  for (const { path, content } of artifacts.files) {
    await writeFileAtomically(join(directory, path), content);
    files.push({ path, bytes: Buffer.byteLength(content) });
  }
  const stamp: Stamp = { generatorVersion: GENERATOR_VERSION, fingerprint, files };
  await writeFileAtomically(stampPath, `${JSON.stringify(stamp, null, 2)}\n`);
  return finish('written', files);
}

function fingerprintOf(artifacts: ModelArtifacts): string {
  // Binary contents are fingerprinted as base64 rather than as JSON's one key per byte.
  const encoded = JSON.stringify(artifacts, (_key, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value));
  return createHash('sha256').update(GENERATOR_VERSION).update(encoded).digest('hex');
}

async function readStamp(path: string): Promise<Stamp | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

async function filesIntact(directory: string, files: readonly GeneratedFile[]): Promise<boolean> {
  for (const file of files) {
    const info = await stat(join(directory, file.path)).catch(() => undefined);
    if (info?.size !== file.bytes) return false;
  }
  return true;
}

async function writeFileAtomically(path: string, content: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporaryPath = `${path}.${process.pid}.tmp`;
  await writeFile(temporaryPath, content);
  await rename(temporaryPath, path);
}
