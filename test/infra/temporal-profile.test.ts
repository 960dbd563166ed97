/**
 * Temporal connections from environment-configuration profiles (infra/temporal-connection.ts, read with
 * @temporalio/envconfig): a TOML profile selected by TEMPORAL_CONFIG_FILE + TEMPORAL_PROFILE is the server and
 * namespace the stack's client uses (a workflow started through it lands there); explicit TEMPORAL_* variables win
 * over the profile; an API key or client certificate in a profile ends up in the connection options we build (with
 * TLS), and never in a message or a log line; a profile or file that is not there is a clear error; no profiles file
 * is read unless asked for.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStack } from '../../clients/runtime';
import {
  describeTemporalTarget,
  temporalConnectionOptions,
  temporalTargetFromEnv,
  TemporalConfigError,
} from '../../infra/temporal-connection';
import { ensureTemporal, findFreePort } from '../../infra/temporal-server';
import { ensureTestNamespace, testTemporalAddress } from '../support/stack';

const NAMESPACE = 'test-temporal-profile';
const API_KEY = 'tmprl-test-key-6f1c0e2a9b';
let dir: string;

/** only what a test gives: no TEMPORAL_* of the machine running the tests */
function env(vars: Record<string, string>): NodeJS.ProcessEnv {
  return { HOME: dir, XDG_CONFIG_HOME: '', ...vars };
}

async function profilesFile(name: string, toml: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, toml);
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mycelium-temporal-profile-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Temporal profiles', () => {
  it('give the address and namespace of the profile TEMPORAL_PROFILE picks from TEMPORAL_CONFIG_FILE', async () => {
    const file = await profilesFile('two.toml', '[profile.a]\naddress = "a.example:7233"\nnamespace = "ns-a"\n\n[profile.b]\naddress = "b.example:7233"\nnamespace = "ns-b"\n');
    expect(temporalTargetFromEnv(env({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'b' }))).toEqual({
      address: 'b.example:7233',
      namespace: 'ns-b',
      security: {},
      profile: 'b',
      configFile: file,
    });
    // without TEMPORAL_PROFILE: the file's `default` profile, when it has one; else nothing from it
    const withDefault = await profilesFile('default.toml', '[profile.default]\naddress = "d.example:7233"\n');
    expect(temporalTargetFromEnv(env({ TEMPORAL_CONFIG_FILE: withDefault }))).toMatchObject({ address: 'd.example:7233', profile: 'default' });
    expect(temporalTargetFromEnv(env({ TEMPORAL_CONFIG_FILE: file })).address).toBeUndefined();
  });

  it('let explicit TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_API_KEY win over the profile; empty ones count as unset', async () => {
    const file = await profilesFile('override.toml', `[profile.cloud]\naddress = "ns.a1b2c.tmprl.cloud:7233"\nnamespace = "ns.a1b2c"\napi_key = "${API_KEY}"\n`);
    const base = { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud' };
    expect(temporalTargetFromEnv(env({ ...base, TEMPORAL_ADDRESS: '127.0.0.1:7233', TEMPORAL_NAMESPACE: 'local' }))).toMatchObject({
      address: '127.0.0.1:7233',
      namespace: 'local',
    });
    expect(temporalTargetFromEnv(env({ ...base, TEMPORAL_API_KEY: 'other-key' })).security.apiKey).toBe('other-key');
    expect(temporalTargetFromEnv(env({ ...base, TEMPORAL_ADDRESS: '', TEMPORAL_NAMESPACE: ' ' }))).toMatchObject({ address: 'ns.a1b2c.tmprl.cloud:7233', namespace: 'ns.a1b2c' });
    // and with no profile at all, the variables alone, as before profiles
    expect(temporalTargetFromEnv(env({ TEMPORAL_ADDRESS: 'h:1', TEMPORAL_NAMESPACE: 'n' }))).toEqual({ address: 'h:1', namespace: 'n', security: {} });
  });

  it('put an API key into the connection options, with TLS; a client certificate too (mTLS)', async () => {
    const file = await profilesFile(
      'cloud.toml',
      [
        '[profile.cloud-api-key]',
        'address = "eu-west-1.aws.api.temporal.io:7233"',
        'namespace = "mycelium.a1b2c"',
        `api_key = "${API_KEY}"`,
        '',
        '[profile.cloud-mtls]',
        'address = "mycelium.a1b2c.tmprl.cloud:7233"',
        'namespace = "mycelium.a1b2c"',
        '[profile.cloud-mtls.tls]',
        `client_cert_path = "${join(dir, 'client.pem')}"`,
        `client_key_path = "${join(dir, 'client.key')}"`,
        '',
      ].join('\n'),
    );
    const target = temporalTargetFromEnv(env({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud-api-key' }));
    const options = temporalConnectionOptions(target.address!, target.security);
    expect(options).toEqual({ address: 'eu-west-1.aws.api.temporal.io:7233', apiKey: API_KEY, tls: true });
    expect(target.namespace).toBe('mycelium.a1b2c');
    // what logs and messages show names the credentials' kind, never the key
    const shown = describeTemporalTarget(target);
    expect(shown).toBe(`eu-west-1.aws.api.temporal.io:7233, namespace mycelium.a1b2c, profile cloud-api-key of ${file}, API key, TLS`);
    expect(shown).not.toContain(API_KEY);

    await writeFile(join(dir, 'client.pem'), 'CERT');
    await writeFile(join(dir, 'client.key'), 'KEY');
    const mtls = temporalTargetFromEnv(env({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud-mtls' }));
    const tls = temporalConnectionOptions(mtls.address!, mtls.security).tls as { clientCertPair: { crt: Uint8Array; key: Uint8Array } };
    expect(Buffer.from(tls.clientCertPair.crt).toString()).toBe('CERT');
    expect(Buffer.from(tls.clientCertPair.key).toString()).toBe('KEY');
    expect(describeTemporalTarget(mtls)).toContain('mTLS');
  });

  it('refuse a profile that is not in the file, and a TEMPORAL_CONFIG_FILE that does not exist, saying so', async () => {
    const file = await profilesFile('named.toml', '[profile.cluster]\naddress = "c:7233"\n\n[profile.cloud]\naddress = "d:7233"\n');
    const missing = (): unknown => temporalTargetFromEnv(env({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'clowd' }));
    expect(missing).toThrow(TemporalConfigError);
    expect(missing).toThrow(`Temporal profile "clowd" (TEMPORAL_PROFILE) is not in ${file}: it has "cluster", "cloud"`);
    expect(() => temporalTargetFromEnv(env({ TEMPORAL_CONFIG_FILE: join(dir, 'nope.toml'), TEMPORAL_PROFILE: 'cluster' }))).toThrow(
      `TEMPORAL_CONFIG_FILE=${join(dir, 'nope.toml')}: no such file`,
    );
    // TEMPORAL_PROFILE alone looks in the Temporal CLI's file, and says where it looked
    expect(() => temporalTargetFromEnv(env({ TEMPORAL_PROFILE: 'cluster' }))).toThrow(
      `TEMPORAL_PROFILE=cluster, but there is no Temporal profiles file at ${join(dir, '.config', 'temporalio', 'temporal.toml')}`,
    );
    // and whatever opens the stack stops there, with that message
    await expect(ensureTemporal({ log: pino({ level: 'silent' }), env: env({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'clowd' }) })).rejects.toThrow(
      /Temporal profile "clowd" \(TEMPORAL_PROFILE\) is not in/,
    );
  });

  it("read the Temporal CLI's own file only when a profile is asked for", async () => {
    await mkdir(join(dir, '.config', 'temporalio'), { recursive: true });
    await writeFile(join(dir, '.config', 'temporalio', 'temporal.toml'), '[profile.default]\naddress = "cli-default:7233"\n\n[profile.staging]\naddress = "staging:7233"\n');
    try {
      expect(temporalTargetFromEnv(env({})).address).toBeUndefined();
      expect(temporalTargetFromEnv(env({ TEMPORAL_PROFILE: 'staging' })).address).toBe('staging:7233');
    } finally {
      await rm(join(dir, '.config'), { recursive: true, force: true });
    }
  });

  it('never log nor say the API key when the server cannot be reached', async () => {
    const closed = await findFreePort();
    const file = await profilesFile('unreachable.toml', `[profile.cloud]\naddress = "127.0.0.1:${closed}"\nnamespace = "x"\napi_key = "${API_KEY}"\n`);
    let logged = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString();
        done();
      },
    });
    const error = await ensureTemporal({
      log: pino({ level: 'trace' }, sink),
      env: env({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud' }),
      connectTimeoutMs: 1000,
    }).then(
      () => new Error('connected to a closed port'),
      (e: unknown) => e as Error,
    );
    expect(error.message).toMatch(new RegExp(`Temporal server at 127\\.0\\.0\\.1:${closed}, profile cloud of .*, API key, TLS is not usable`));
    expect(logged).toContain(`127.0.0.1:${closed}`);
    expect(`${error.message}\n${logged}`).not.toContain(API_KEY);
  });
});

describe('the stack on a Temporal profile', () => {
  const saved: Record<string, string | undefined> = {};
  const setEnv = (vars: Record<string, string | undefined>): void => {
    for (const [k, v] of Object.entries(vars)) {
      if (!(k in saved)) saved[k] = process.env[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
      delete saved[k];
    }
  });

  it('connects its client where the profile says: a workflow started through it is in the profile’s namespace', async () => {
    await ensureTestNamespace(NAMESPACE);
    const file = await profilesFile(
      'stack.toml',
      ['[profile.unreachable]', 'address = "127.0.0.1:1"', '', '[profile.tests]', `address = "${testTemporalAddress()}"`, `namespace = "${NAMESPACE}"`, ''].join('\n'),
    );
    // the process environment openStack reads: the profile, and no explicit server or namespace
    setEnv({
      TEMPORAL_CONFIG_FILE: file,
      TEMPORAL_PROFILE: 'tests',
      TEMPORAL_ADDRESS: undefined,
      TEMPORAL_NAMESPACE: undefined,
      TEMPORAL_API_KEY: undefined,
      MYCELIUM_HOME: dir,
      DATABASE_URL: undefined,
      QDRANT_URL: undefined,
    });
    const stack = await openStack({ worker: false, pgliteDir: null, startDevServer: false, log: pino({ level: 'warn' }) });
    const plain = await Connection.connect({ address: testTemporalAddress() });
    try {
      expect(stack.namespace).toBe(NAMESPACE);
      const workflowId = `profile-${Date.now()}`;
      // nothing polls this queue: the run just has to exist where the profile points
      const handle = await stack.client.workflow.start('profileProbe', { taskQueue: 'nobody-polls-this', workflowId, args: [] });
      const described = await new Client({ connection: plain, namespace: NAMESPACE }).workflow.getHandle(workflowId).describe();
      expect(described.runId).toBe(handle.firstExecutionRunId);
      expect(described.status.name).toBe('RUNNING');
      await handle.terminate('test done');
    } finally {
      await plain.close();
      await stack.close();
    }
  }, 120_000);
});
