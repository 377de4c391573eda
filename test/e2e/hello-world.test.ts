import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoRun } from '../../examples/demo/demo.js';
import { createTestDatabase, type TestDatabase } from '../registry/support/postgres.js';

/**
 * The demo's path (package → publish → signed webhook → ingest → bonsai add → download, verify, run) on
 * the production shape: PostgreSQL, Redis, and the registry mirroring every artifact it serves.
 */
describe('hello-world end to end on PostgreSQL and Redis, mirror mode', () => {
  let database: TestDatabase;
  let demo: DemoRun;
  const said: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    demo = await runDemo({
      say: (line) => said.push(line),
      registryEnv: {
        DATABASE_URL: database.url,
        REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
        ARTIFACTS_MODE: 'mirror',
      },
    });
  }, 180_000);

  afterAll(async () => {
    await demo?.stop();
    await database?.drop();
  });

  it('passes every step and runs the asset: Hello World', () => {
    expect(
      said.filter((l) => l.startsWith('✗')),
      said.join('\n'),
    ).toEqual([]);
    expect(demo.ok).toBe(true);
    expect(demo.output).toBe('Hello World');
  });

  it('ran the registry on PostgreSQL and Redis, mirroring artifacts', () => {
    const registryLine = said.find((l) => l.startsWith('✓ registry at'));
    expect(registryLine).toMatch(/PostgreSQL/);
    expect(registryLine).toMatch(/Redis/);
    expect(registryLine).toMatch(/mirror/);
  });

  it('serves build URLs from its own mirror, not from GitHub', () => {
    const builds = (demo.definition?.spec as { builds: { url: string }[] }).builds;
    expect(builds).toHaveLength(4);
    for (const build of builds) expect(build.url.startsWith(`${demo.registryUrl}/artifacts/`)).toBe(true);
  });

  it('answers the health check with both backends up', async () => {
    const response = await fetch(`${demo.registryUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'ok',
      database: { kind: 'postgres', status: 'ok' },
      cache: { kind: 'redis' },
      artifacts: 'mirror',
    });
  });
});
