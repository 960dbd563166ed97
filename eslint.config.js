// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Modules that do I/O or break determinism: never imported by workflow code (it runs in Temporal's sandbox). */
const ioModules = [
  'fs', 'node:*', 'fs/*', 'pg', 'pino', 'http', 'https', 'net', 'child_process', 'crypto', 'os',
  '@electric-sql/*', '@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@temporalio/testing',
  'node-ical', 'mailparser', 'webvtt-parser', 'commander', 'cli-progress', 'openai', 'googleapis', '@slack/*',
  '@microsoft/*', '@modelcontextprotocol/*',
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.mycelium/**', 'coverage/**', 'bin/**', 'dist/**', 'dist.*/**', '.scratch-helper/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ioModules, message: 'workflows are deterministic: do I/O in an activity' },
            {
              group: ['../activities', '../activities/**', '../clients/**', '../infra/**', '../workers/**'],
              allowTypeImports: true,
              message: 'workflows may only `import type` from activities, and nothing from clients/infra/workers',
            },
          ],
        },
      ],
      'no-console': 'error',
    },
  },
);
