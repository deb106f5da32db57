import { join, relative } from 'node:path';
import { parseCliArguments } from './cli-arguments';
import { ModelZooError } from './errors';
import { generateModels, type GenerationResult } from './generate';

// dist/cli.js (and src/cli.ts) sit three folders below the repository root.
const DEFAULT_OUT_DIR = join(__dirname, '..', '..', '..', 'models');

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

function report(result: GenerationResult, outDir: string): string {
  const total = result.files.reduce((sum, file) => sum + file.bytes, 0);
  const where = relative(outDir, result.directory);
  if (result.status === 'up-to-date') return `${where}: up to date (${formatBytes(total)})`;
  const width = Math.max(...result.files.map((file) => file.path.length));
  const lines = result.files.map((file) => `  ${file.path.padEnd(width)}  ${formatBytes(file.bytes).padStart(9)}`);
  return [`${where}: wrote ${formatBytes(total)} in ${result.seconds.toFixed(1)} s`, ...lines].join('\n');
}

async function main(): Promise<void> {
  const command = parseCliArguments(process.argv.slice(2), DEFAULT_OUT_DIR, process.cwd());
  console.log(`Generating ${command.tiers.join(' and ')} models into ${command.outDir}`);
  await generateModels({ ...command, onResult: (result) => console.log(report(result, command.outDir)) });
}

main().catch((error: unknown) => {
  console.error(error instanceof ModelZooError ? error.message : error);
  process.exitCode = 1;
});
