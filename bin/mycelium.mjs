#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx myc ...` works without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../clients/cli/main.ts');
