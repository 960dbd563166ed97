#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm install` / `node scripts/build.mjs`) when it is there;
// else the TypeScript sources through tsx, so a checkout works before any build.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.mjs', import.meta.url);
if (existsSync(compiled) && !process.env.MYCELIUM_FROM_SOURCE) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../clients/cli/main.ts');
}
