// Bundles the gateway's web pages (web/<page>/) into dist/web/<page>/ with esbuild: the page's
// TypeScript entry and its stylesheet under content-hashed names (served with a long cache), and
// its index.html with the placeholders {{script}} and {{style}} replaced by those names. The
// gateway's web module serves what lands here (src/web/web-assets.ts). A page may also have
// modules under stable names (for other sites' pages to import) and files copied from packages.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const ORT_DIST = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
/** onnxruntime-web's wasm build (`onnxruntime-web/wasm`, extern-wasm flavour) loads these two from `ort.env.wasm.wasmPaths`. */
const ORT_WASM_FILES = ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

/**
 * assetUrl: the URL prefix the gateway serves the page's files under; stableModules: output name →
 * entry, written unhashed; copies: sub-folder → files copied into it unchanged.
 */
const PAGES = [
  { name: 'verify', script: 'verify.ts', style: 'verify.css', assetUrl: '/verify/' },
  {
    name: 'text-detector',
    script: 'text-detector.ts',
    style: 'text-detector.css',
    assetUrl: '/text-detector/assets/',
    stableModules: { 'detector-client': 'detector-client.ts' },
    copies: { ort: { from: ORT_DIST, files: ORT_WASM_FILES } },
  },
];

/** `name.<first 10 hex of sha256>.ext`: a new name whenever the content changes. */
function hashedName(base, ext, contents) {
  return `${base}.${createHash('sha256').update(contents).digest('hex').slice(0, 10)}.${ext}`;
}

for (const page of PAGES) {
  const source = join(projectRoot, 'web', page.name);
  const out = join(projectRoot, 'dist', 'web', page.name);
  const result = await build({
    entryPoints: {
      script: join(source, page.script),
      style: join(source, page.style),
      ...Object.fromEntries(Object.entries(page.stableModules ?? {}).map(([name, entry]) => [name, join(source, entry)])),
    },
    // onnxruntime-web then loads its wasm files from ort.env.wasm.wasmPaths instead of bundling them.
    conditions: ['onnxruntime-web-use-extern-wasm'],
    // The browser-safe entry of a lib, as web/tsconfig.json maps it: its index also holds Node-only code.
    alias: { '@switchyard/text-detection/browser': join(projectRoot, '..', '..', 'libs', 'text-detection', 'src', 'browser.ts') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022', 'chrome109', 'firefox115', 'safari16'],
    platform: 'browser',
    write: false,
    outdir: out,
    logLevel: 'warning',
    legalComments: 'none',
  });
  const outputOf = (entry, ext) => {
    const file = result.outputFiles.find((candidate) => candidate.path === join(out, `${entry}.${ext}`));
    if (!file) throw new Error(`esbuild wrote no ${entry}.${ext} file for the ${page.name} page`);
    return file.contents;
  };
  const script = outputOf('script', 'js');
  const style = outputOf('style', 'css');
  const scriptName = hashedName(page.name, 'js', script);
  const styleName = hashedName(page.name, 'css', style);
  let html = readFileSync(join(source, 'index.html'), 'utf8');
  for (const placeholder of ['{{script}}', '{{style}}']) {
    if (!html.includes(placeholder)) throw new Error(`web/${page.name}/index.html lacks the placeholder ${placeholder}`);
  }
  html = html.replaceAll('{{script}}', page.assetUrl + scriptName).replaceAll('{{style}}', page.assetUrl + styleName);
  // Only this build's files: old hashed names do not pile up.
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, scriptName), script);
  writeFileSync(join(out, styleName), style);
  writeFileSync(join(out, 'index.html'), html);
  for (const name of Object.keys(page.stableModules ?? {})) writeFileSync(join(out, `${name}.js`), outputOf(name, 'js'));
  for (const [folder, { from, files }] of Object.entries(page.copies ?? {})) {
    mkdirSync(join(out, folder));
    for (const file of files) copyFileSync(join(from, file), join(out, folder, file));
  }
}
