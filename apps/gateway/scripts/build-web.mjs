// Bundles the gateway's web pages (web/<page>/) into dist/web/<page>/ with esbuild: the page's
// TypeScript entry and its stylesheet under content-hashed names (served with a long cache), and
// its index.html with the placeholders {{script}} and {{style}} replaced by those names. The
// gateway's web module serves what lands here (src/web/web-assets.ts).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const PAGES = [{ name: 'verify', script: 'verify.ts', style: 'verify.css' }];

/** `name.<first 10 hex of sha256>.ext`: a new name whenever the content changes. */
function hashedName(base, ext, contents) {
  return `${base}.${createHash('sha256').update(contents).digest('hex').slice(0, 10)}.${ext}`;
}

for (const page of PAGES) {
  const source = join(projectRoot, 'web', page.name);
  const out = join(projectRoot, 'dist', 'web', page.name);
  const result = await build({
    entryPoints: { script: join(source, page.script), style: join(source, page.style) },
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
  const outputOf = (ext) => {
    const file = result.outputFiles.find((candidate) => candidate.path.endsWith(`.${ext}`));
    if (!file) throw new Error(`esbuild wrote no .${ext} file for the ${page.name} page`);
    return file.contents;
  };
  const script = outputOf('js');
  const style = outputOf('css');
  const scriptName = hashedName(page.name, 'js', script);
  const styleName = hashedName(page.name, 'css', style);
  let html = readFileSync(join(source, 'index.html'), 'utf8');
  for (const placeholder of ['{{script}}', '{{style}}']) {
    if (!html.includes(placeholder)) throw new Error(`web/${page.name}/index.html lacks the placeholder ${placeholder}`);
  }
  html = html.replaceAll('{{script}}', `/${page.name}/${scriptName}`).replaceAll('{{style}}', `/${page.name}/${styleName}`);
  // Only this build's files: old hashed names do not pile up.
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, scriptName), script);
  writeFileSync(join(out, styleName), style);
  writeFileSync(join(out, 'index.html'), html);
}
