/** `12.4 s`, `5 s`: one decimal at most, so refusal notes stay short. */
export function formatSeconds(ms: number): string {
  if (!Number.isFinite(ms)) return 'unbounded';
  return `${roundToTenth(ms / 1000)} s`;
}

const BYTE_UNITS = [
  { unit: 'GB', size: 1e9 },
  { unit: 'MB', size: 1e6 },
  { unit: 'kB', size: 1e3 },
] as const;

/** `12.5 MB`, `800 B`, in decimal units. */
export function formatBytes(bytes: number): string {
  const match = BYTE_UNITS.find(({ size }) => bytes >= size);
  return match ? `${roundToTenth(bytes / match.size)} ${match.unit}` : `${bytes} B`;
}

function roundToTenth(value: number): number {
  return Math.round(value * 10) / 10;
}
