import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CliUsageError, UnknownModelError, UnknownTierError } from './errors';
import { MODEL_KEYS, type ModelKey } from './manifest';
import { TIERS, type Tier } from './models/architectures';

export const USAGE = `Usage: model-zoo generate [--tier tiny|full|all] [--out <dir>] [--model <key>]...
  --tier   which tier to write (default: tiny)
  --out    output folder (default: <repository root>/models)
  --model  only this model (repeatable): ${MODEL_KEYS.join(', ')}`;

export interface GenerateCommand {
  readonly tiers: readonly Tier[];
  readonly outDir: string;
  readonly models: readonly ModelKey[];
}

/** Parses `generate [--tier …] [--out …] [--model …]`; relative paths resolve against `cwd`. */
export function parseCliArguments(argv: readonly string[], defaultOutDir: string, cwd: string): GenerateCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        tier: { type: 'string', default: 'tiny' },
        out: { type: 'string' },
        model: { type: 'string', multiple: true },
      },
    });
  } catch (error) {
    throw new CliUsageError(`${(error as Error).message}\n${USAGE}`);
  }
  const { positionals, values } = parsed;
  if (positionals.length !== 1 || positionals[0] !== 'generate') throw new CliUsageError(USAGE);
  return {
    tiers: parseTier(values.tier),
    outDir: values.out === undefined ? defaultOutDir : resolve(cwd, values.out),
    models: (values.model ?? MODEL_KEYS).map(parseModel),
  };
}

function parseTier(tier: string): readonly Tier[] {
  if (tier === 'all') return TIERS;
  if ((TIERS as readonly string[]).includes(tier)) return [tier as Tier];
  throw new UnknownTierError(tier);
}

function parseModel(model: string): ModelKey {
  if ((MODEL_KEYS as readonly string[]).includes(model)) return model as ModelKey;
  throw new UnknownModelError(model, MODEL_KEYS);
}
