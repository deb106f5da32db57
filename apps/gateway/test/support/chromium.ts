import { existsSync } from 'node:fs';

/** Chromium for the page tests: Debian's `chromium` package (.ci/run installs it); CHROMIUM_PATH overrides. */
const CHROMIUM_CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser'];

export function chromiumPath(): string {
  const found = CHROMIUM_CANDIDATES.find((candidate): candidate is string => !!candidate && existsSync(candidate));
  if (!found) throw new Error(`No Chromium found (tried ${CHROMIUM_CANDIDATES.filter(Boolean).join(', ')}): apt-get install chromium, or set CHROMIUM_PATH`);
  return found;
}
