import type * as Jumbf from '@trustnxt/c2pa-ts/jumbf';
import type * as Manifest from '@trustnxt/c2pa-ts/manifest';

export interface C2paLibrary {
  jumbf: typeof Jumbf;
  manifest: typeof Manifest;
}

/**
 * @trustnxt/c2pa-ts is ESM-only (its exports have only an "import" condition) and this repo compiles to
 * CommonJS, where swc would turn `import()` into `require()`. A Function-built import() survives compilation.
 * V8 caches functions built from the same source text and keeps the first one's module context (under Jest's
 * --experimental-vm-modules, a test file whose environment is gone), so each load of this module gets its own text.
 */
export const importEsm = new Function('specifier', `return import(specifier); // ${Date.now()}.${Math.random()}`) as (specifier: string) => Promise<unknown>;

let library: Promise<C2paLibrary> | undefined;

export function loadC2paLibrary(): Promise<C2paLibrary> {
  library ??= Promise.all([importEsm('@trustnxt/c2pa-ts/jumbf'), importEsm('@trustnxt/c2pa-ts/manifest')]).then(([jumbf, manifest]) => ({
    jumbf: jumbf as typeof Jumbf,
    manifest: manifest as typeof Manifest,
  }));
  return library;
}
