import { Connection } from '@temporalio/client';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { configuredSearchAttributes, listCustomSearchAttributes, typeName } from '../../infra/temporal-server';
import { temporalTestAddress, testWorkflowEnv } from '../support/temporal';

describe('test/global-setup.ts', () => {
  it('exposes the shared servers through env vars (inherited by forked workers) and inject()', () => {
    expect(process.env.TEMPORAL_TEST_ADDRESS).toMatch(/^[\w.-]+:\d+$/);
    expect(process.env.TEMPORAL_TEST_ADDRESS).toBe(inject('temporalAddress'));
    expect(process.env.TEST_DATABASE_URL).toMatch(/^postgres:\/\//);
    expect(process.env.TEST_DATABASE_URL).toBe(inject('databaseUrl'));
    expect(temporalTestAddress()).toBe(inject('temporalAddress'));
  });

  it('the Temporal server has our namespace and search attributes', async () => {
    const connection = await Connection.connect({ address: temporalTestAddress() });
    try {
      const attrs = await listCustomSearchAttributes(connection, inject('temporalNamespace'));
      for (const sa of configuredSearchAttributes) expect(typeName(attrs[sa.name] ?? -1), sa.name).toBe(sa.type);
    } finally {
      await connection.close();
    }
  });

  it('testWorkflowEnv() connects to it', async () => {
    const env = await testWorkflowEnv();
    try {
      expect(env.supportsTimeSkipping).toBe(false);
      const info = await env.client.workflowService.getSystemInfo({});
      expect(info.serverVersion).toMatch(/^1\./);
      expect(env.namespace).toBe(inject('temporalNamespace'));
    } finally {
      await env.teardown();
    }
  });

  it('the database answers', async () => {
    const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await client.connect();
    try {
      expect((await client.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      await client.end();
    }
  });
});
