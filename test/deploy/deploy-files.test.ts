/**
 * The deployment files under deploy/ are not run here (no Docker, no Kubernetes), so this test keeps them honest:
 * every YAML file parses; the worker Deployments and compose services name real worker roles and set only
 * MYCELIUM_WORKER_* variables that workers/scaling.ts reads, with values it accepts; and the Temporal profiles
 * parse with the real Temporal CLI's environment-configuration reader and with Mycelium's own (envconfig).
 */
import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadAll } from 'js-yaml';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../infra/paths';
import { resolveTemporalCli } from '../../infra/temporal-cli';
import { temporalTargetFromEnv } from '../../infra/temporal-connection';
import { ACTIVITY_ROLES, rolesInProcess, WORKER_ROLES, workerTuning, type WorkerRole } from '../../workers/scaling';

const deployDir = join(projectRoot, 'deploy');
const run = promisify(execFile);

async function yamlFiles(dir = deployDir): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await yamlFiles(path)));
    else if (/\.ya?ml$/.test(entry.name)) out.push(path);
  }
  return out;
}

async function documents(relPath: string): Promise<Record<string, unknown>[]> {
  return loadAll(await readFile(join(deployDir, relPath), 'utf8')) as Record<string, unknown>[];
}

/** The worker settings a set of env vars gives a role: throws (naming the variable) when one is wrong. */
function checkWorkerEnv(role: WorkerRole, env: Record<string, string>): void {
  const ours = Object.keys(env).filter((k) => k.startsWith('MYCELIUM_WORKER_'));
  const prefix = `MYCELIUM_WORKER_${role.toUpperCase().replace(/-/g, '_')}_`;
  for (const name of ours) expect(name.startsWith(prefix) || name.startsWith('MYCELIUM_WORKER_MAIN_'), `${name} set on the ${role} worker`).toBe(true);
  const tuning = workerTuning(role, env);
  // an override that names no setting would be silently ignored: every variable must change what it names
  for (const name of ours.filter((n) => n.startsWith(prefix))) {
    expect(Object.values(tuning).map(String), `${name} is read by workers/scaling.ts`).toContain(String(Number(env[name])));
  }
}

describe('deploy/', () => {
  it('holds only YAML that parses', async () => {
    const files = await yamlFiles();
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const file of files) {
      const docs = loadAll(await readFile(file, 'utf8'));
      expect(docs.length, file).toBeGreaterThan(0);
      for (const doc of docs) expect(typeof doc, file).toBe('object');
    }
  });

  it('runs a Kubernetes Deployment per worker role but main, with settings the worker factory accepts', async () => {
    const docs = await documents('k8s/mycelium.yaml');
    const config = docs.find((d) => d.kind === 'ConfigMap') as { data: Record<string, string> };
    const deployments = docs.filter((d) => d.kind === 'Deployment') as {
      metadata: { name: string };
      spec: { template: { metadata: { labels: { role: string } }; spec: { containers: { args: string[]; env?: { name: string; value: string }[] }[] } } };
    }[];
    const roles = deployments.map((d) => d.spec.template.metadata.labels.role).sort();
    expect(roles).toEqual([...WORKER_ROLES].sort());
    checkWorkerEnv('main', config.data);
    for (const d of deployments) {
      const role = d.spec.template.metadata.labels.role as WorkerRole;
      const container = d.spec.template.spec.containers[0]!;
      if (role === 'main') {
        expect(container.args[0]).toBe('serve');
        // every role has a Deployment of its own: the service polls no role queue beside them
        const serviceEnv = { ...config.data, ...Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value])) };
        expect(rolesInProcess(serviceEnv)).toEqual([]);
        continue;
      }
      expect(container.args).toEqual(['worker', '--role', role]);
      checkWorkerEnv(role, Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value])));
    }
    // each provider's quota is set as a task-queue rate, which holds across replicas
    for (const provider of ['google', 'microsoft', 'slack']) {
      const d = deployments.find((x) => x.metadata.name === `worker-connector-${provider}`)!;
      expect(d.spec.template.spec.containers[0]!.env?.map((e) => e.name)).toContain(`MYCELIUM_WORKER_CONNECTOR_${provider.toUpperCase()}_MAX_TASK_QUEUE_ACTIVITIES_PER_SECOND`);
    }
  });

  it('composes Postgres with pgvector, a 3-node Qdrant cluster, Temporal, the service and a worker per role', async () => {
    const [compose] = (await documents('compose/compose.yaml')) as { services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string> }> }[];
    const services = compose!.services;
    expect(services.memory?.image).toMatch(/^pgvector\/pgvector:/);
    expect(Object.keys(services).filter((s) => s.startsWith('qdrant-'))).toHaveLength(3);
    expect(services.temporal?.image).toMatch(/^temporalio\//);
    expect(services.mycelium?.command?.[0]).toBe('serve');
    const workerRoles: WorkerRole[] = [];
    for (const [name, service] of Object.entries(services).filter(([n]) => n.startsWith('worker-'))) {
      const role = service.command?.[2] as WorkerRole;
      expect(WORKER_ROLES, name).toContain(role);
      checkWorkerEnv(role, service.environment ?? {});
      workerRoles.push(role);
    }
    // the service polls, beside the main queue, exactly the role queues no worker service polls: none twice, none left out
    expect(rolesInProcess(services.mycelium?.environment ?? {})).toEqual(ACTIVITY_ROLES.filter((role) => !workerRoles.includes(role)));
  });

  it('has Temporal profiles (cluster, Cloud mTLS, Cloud API key) that the Temporal CLI reads', async () => {
    const cli = await resolveTemporalCli({ log: pino({ level: 'warn' }) });
    const file = join(deployDir, 'temporal', 'temporal.toml');
    const { stdout } = await run(cli, ['config', 'list', '--config-file', file, '-o', 'json']);
    expect((JSON.parse(stdout) as { name: string }[]).map((p) => p.name).sort()).toEqual(['cloud-api-key', 'cloud-mtls', 'cluster']);
    const mtls = JSON.parse((await run(cli, ['config', 'get', '--config-file', file, '--profile', 'cloud-mtls', '-o', 'json'])).stdout) as {
      address: string;
      tls: { client_cert_path: string; client_key_path: string };
    };
    expect(mtls.address).toMatch(/\.tmprl\.cloud:7233$/);
    expect(mtls.tls).toEqual({ client_cert_path: '/etc/temporal/tls/client.pem', client_key_path: '/etc/temporal/tls/client.key' });
    // no secret is written into the profiles: the API key comes from TEMPORAL_API_KEY
    expect(await readFile(file, 'utf8')).not.toMatch(/api_key\s*=/);
  }, 120_000);

  it('has Temporal profiles that Mycelium itself connects with: the API key from the environment, certificates from their paths', () => {
    const file = join(deployDir, 'temporal', 'temporal.toml');
    const env = (profile: string, vars: Record<string, string> = {}) => ({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: profile, ...vars });
    expect(temporalTargetFromEnv(env('cluster'))).toMatchObject({ address: 'temporal-frontend.temporal.svc.cluster.local:7233', namespace: 'mycelium', security: {} });
    const cloud = temporalTargetFromEnv(env('cloud-api-key', { TEMPORAL_API_KEY: 'from-the-secret' }));
    expect(cloud).toMatchObject({ address: 'eu-west-1.aws.api.temporal.io:7233', namespace: 'mycelium.a1b2c', security: { apiKey: 'from-the-secret' } });
    expect(cloud.security.tls).toBeTruthy();
    // the certificates are read where the k8s manifest mounts them; without them, the error says which file
    expect(() => temporalTargetFromEnv(env('cloud-mtls'))).toThrow(/TLS settings of the Temporal profile cloud-mtls cannot be used: .*\/etc\/temporal\/tls\/client\.(pem|key)/);
  });
});
