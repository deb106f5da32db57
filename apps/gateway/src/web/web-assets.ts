import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

/** One file of a built page, read into memory once at start-up. */
export interface WebAsset {
  body: Buffer;
  contentType: string;
  /** Content-hashed names never change content: cached for a year; everything else revalidates. */
  cacheControl: string;
  /** A strong validator from the content, so files under stable names revalidate without a new download. */
  etag: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** The page may load only its own files and send requests only to this gateway (see scripts/build-web.mjs: no inline scripts or styles). */
export const PAGE_CSP = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

const HASHED = /\.[0-9a-f]{10}\.[a-z]+$/;

/**
 * The built page folder: next to the compiled module (dist/web/<page>, where scripts/build-web.mjs
 * writes it), or, when the gateway runs from its TypeScript sources (Jest), the same folder under dist.
 */
export function pageDirectory(page: string, moduleDir: string = __dirname): string {
  const candidates = [join(moduleDir, page), join(moduleDir, '..', '..', 'dist', 'web', page)];
  const found = candidates.find((candidate) => existsSync(join(candidate, 'index.html')));
  if (!found) {
    throw new Error(
      `The ${page} page is not built: no index.html in ${candidates.join(' or ')}. Build the gateway (npm run build, or nx run @switchyard/gateway:build) before starting it.`,
    );
  }
  return found;
}

/** A page's files by name; `index.html` is the page itself. Only these names are ever served: nothing else on disk is reachable. */
export function loadPage(page: string, moduleDir?: string): Map<string, WebAsset> {
  return loadAssets(pageDirectory(page, moduleDir));
}

/** The files of one folder of known types by name (sub-folders are not read). */
export function loadAssets(directory: string): Map<string, WebAsset> {
  const assets = new Map<string, WebAsset>();
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const contentType = CONTENT_TYPES[extname(entry.name)];
    if (!entry.isFile() || !contentType) continue;
    const body = readFileSync(join(directory, entry.name));
    assets.set(entry.name, {
      body,
      contentType,
      cacheControl: HASHED.test(entry.name) ? 'public, max-age=31536000, immutable' : 'no-cache',
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    });
  }
  return assets;
}
