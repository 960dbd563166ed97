#!/usr/bin/env node
// The compiled build (dist/): the CLI and the service entry bundled by esbuild, so that `myc` starts
// without transpiling TypeScript. Code splitting keeps the
// CLI's dynamic imports lazy: `myc --help` loads only the CLI chunk, not Temporal or PGlite.
// Run by `npm install` / `npm ci` (prepare), by the test setup, and by hand: `node scripts/build.mjs`.
import { existsSync } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist');

// zod and commander are loaded on every start and are pure JavaScript: bundled, they load as one file
// instead of a hundred-odd modules (zod's ESM graph alone costs ~0.1 s to resolve). Every other
// package stays external, loaded from node_modules as it is.
const inlined = new Set(['zod', 'commander']);
const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
const external = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })
  .filter((name) => !inlined.has(name))
  .flatMap((name) => [name, `${name}/*`]);

// Node's ESM loader needs the file extension of a deep import into a package without an "exports"
// map (`@temporalio/common/lib/time`), which TypeScript sources leave out.
const deepImports = {
  name: 'deep-imports-with-extension',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      const [, pkgName, subpath] = /^((?:@[^/]+\/)?[^/@:]+)\/(.+)$/.exec(args.path) ?? [];
      if (!pkgName || inlined.has(pkgName)) return undefined;
      const pkgDir = path.join(root, 'node_modules', pkgName);
      if (path.extname(subpath) || !existsSync(path.join(pkgDir, `${subpath}.js`))) return undefined;
      const manifest = JSON.parse(await readFile(path.join(pkgDir, 'package.json'), 'utf8'));
      return manifest.exports ? undefined : { path: `${args.path}.js`, external: true };
    });
  },
};

// built beside dist/ and swapped in, so a `myc` started during a rebuild (tests build at setup,
// perhaps several runs at once) finds the old build or the new one, never half of one
const staging = `${outdir}.building-${process.pid}`;
await rm(staging, { recursive: true, force: true });
const started = Date.now();
await build({
  absWorkingDir: root,
  entryPoints: {
    'cli/main': 'clients/cli/main.ts',
    'service/main': 'clients/service/main.ts',
    // the typed client other services import (package.json "exports": "./client"), when it is there
    ...(existsSync(path.join(root, 'clients/client/index.ts')) ? { client: 'clients/client/index.ts' } : {}),
  },
  outExtension: { '.js': '.mjs' },
  outdir: staging,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  plugins: [deepImports],
  sourcemap: 'linked',
  minifyWhitespace: true,
  minifySyntax: true,
  chunkNames: 'chunks/[name]-[hash]',
  // commander is CommonJS: its require() of Node built-ins needs a real require in an ES module
  banner: { js: "import { createRequire as __myceliumCreateRequire } from 'node:module'; const require = __myceliumCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
const retired = `${outdir}.old-${process.pid}`;
await rename(outdir, retired).catch((error) => {
  if (error.code !== 'ENOENT') throw error;
});
await rename(staging, outdir).catch(async (error) => {
  // a concurrent build swapped its own (as fresh) dist/ in first: keep that one
  if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
  await rm(staging, { recursive: true, force: true });
});
await rm(retired, { recursive: true, force: true });
if (!process.argv.includes('--quiet')) process.stderr.write(`built dist/ in ${Date.now() - started} ms\n`);
