import { parseArgs } from 'node:util';
import { ModelRuntimeConfigError, loadModelRuntimeConfig } from './config';
import { ModelStoreError } from './store/errors';
import { type DownloadProgress, ModelStore } from './store/model-store';

export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

const USAGE = [
  'Usage:',
  '  cli.js pull <repo> [--revision <rev>] --file <path> [--file <path> ...]',
  '  cli.js list',
  'Configuration comes from the environment: MODEL_DIR, MODEL_CACHE_DIR, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE,',
  'MODEL_S3_BUCKET, MODEL_S3_PREFIX, S3_ENDPOINT, S3_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY.',
].join('\n');

class UsageError extends Error {}

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Reports each file's download at most every 10% of its size. */
function progressPrinter(output: CliOutput): (progress: DownloadProgress) => void {
  const lastStep = new Map<string, number>();
  return ({ file, source, bytesDone, bytesTotal }) => {
    const step = bytesTotal === 0 ? 10 : Math.floor((bytesDone / bytesTotal) * 10);
    if (lastStep.get(file) === step) return;
    lastStep.set(file, step);
    output.err(`${file}: ${formatBytes(bytesDone)} / ${formatBytes(bytesTotal)} from ${source}`);
  };
}

async function pull(store: ModelStore, args: string[], output: CliOutput): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { revision: { type: 'string' }, file: { type: 'string', multiple: true } },
  });
  if (positionals.length !== 1) throw new UsageError('pull takes exactly one model id');
  if (!values.file?.length) throw new UsageError('name the files to pull with --file');
  const model = await store.resolve({ repo: positionals[0], revision: values.revision, files: values.file }, { onProgress: progressPrinter(output) });
  output.out(`${model.repo} @ ${model.revision ?? 'model folder'}`);
  for (const file of model.files) output.out(`  ${file.file}\t${formatBytes(file.size)}\t${file.source}\t${file.path}`);
}

async function list(store: ModelStore, output: CliOutput): Promise<void> {
  const models = await store.listCached();
  if (models.length === 0) output.out('No cached models.');
  for (const model of models) {
    const refs = model.refs.length > 0 ? ` (${model.refs.join(', ')})` : '';
    output.out(`${model.repo} @ ${model.revision}${refs}\t${formatBytes(model.totalBytes)}\t${Object.keys(model.files).length} files`);
    for (const [file, digest] of Object.entries(model.files)) output.out(`  ${file}\t${formatBytes(digest.size)}`);
  }
}

/** Runs the model CLI; returns the exit status (0 done, 1 failed, 2 usage). */
export async function runModelCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, output: CliOutput): Promise<number> {
  const [command, ...args] = argv;
  let store: ModelStore | undefined;
  try {
    store = new ModelStore({
      ...loadModelRuntimeConfig(env).store,
      logger: { warn: (details, message) => output.err(`warning: ${message} ${JSON.stringify(details, errorFields)}`) },
    });
    if (command === 'pull') await pull(store, args, output);
    else if (command === 'list') await list(store, output);
    else throw new UsageError(command ? `unknown command "${command}"` : 'no command given');
    return 0;
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      output.err(`${error.message}\n${USAGE}`);
      return 2;
    }
    if (error instanceof ModelStoreError || error instanceof ModelRuntimeConfigError) {
      output.err(error.message);
      return 1;
    }
    throw error;
  } finally {
    store?.close();
  }
}

/** parseArgs refuses unknown or malformed options with these codes. */
function isParseArgsError(error: unknown): error is Error {
  return error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS');
}

function errorFields(_key: string, value: unknown): unknown {
  return value instanceof Error ? value.message : value;
}
