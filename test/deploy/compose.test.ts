import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../registry/config.js';

// No Docker engine runs in CI: the production files are checked by reading them, against the README
// (what users are told) and the registry's own settings (what it accepts).
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface Service {
  build?: string;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  deploy?: { replicas?: number };
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
const compose = load(read('docker-compose.yml')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const readme = read('README.md');
const dockerfile = read('Dockerfile');

/** The README's production table: service → its row's cells. */
function readmeServices(): Map<string, string[]> {
  const section = readme.slice(
    readme.indexOf('## Production: docker compose'),
    readme.indexOf('## Development'),
  );
  const rows = section.split('\n').filter((l) => /^\| `[a-z]+` \|/.test(l));
  return new Map(
    rows.map((row) => {
      const cells = row
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
      return [cells[0]!.replaceAll('`', ''), cells];
    }),
  );
}

describe('docker-compose.yml', () => {
  const { registry, postgres, redis } = compose.services;

  it('has exactly the services the README lists', () => {
    expect(Object.keys(compose.services).sort()).toEqual([...readmeServices().keys()].sort());
  });

  it('runs two registry replicas built from the Dockerfile, on the ports the README gives', () => {
    expect(registry?.build).toBe('.');
    expect(registry?.command).toEqual(['registry', 'serve']);
    expect(registry?.deploy?.replicas).toBe(2);
    expect(readmeServices().get('registry')?.[1]).toContain('2 replicas');
    expect(registry?.ports).toEqual(['3000-3001:3000']);
    expect(readmeServices().get('registry')?.[2]).toBe('3000-3001 → 3000');
  });

  it('points both replicas at the shared PostgreSQL and Redis, and waits for them to be healthy', () => {
    const env = registry?.environment ?? {};
    const database = new URL(env.DATABASE_URL!.replace('${POSTGRES_PASSWORD:-bonsai}', 'pw'));
    expect(database.hostname).toBe('postgres');
    expect(database.pathname).toBe(`/${postgres?.environment?.POSTGRES_DB}`);
    expect(database.username).toBe(postgres?.environment?.POSTGRES_USER);
    expect(new URL(env.REDIS_URL!).hostname).toBe('redis');
    expect(registry?.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
  });

  it('passes only settings the registry knows, and every one the README names for compose', () => {
    const known = new Set<string>(SETTINGS.map((s) => s.env));
    const keys = Object.keys(registry?.environment ?? {});
    expect(keys.filter((k) => !known.has(k))).toEqual([]);
    for (const key of keys) expect(readme).toContain(`\`${key}\``);
  });

  it.each(['ADMIN_TOKEN', 'WEBHOOK_SECRET', 'PUBLIC_URL'])(
    'refuses to start without %s, as the README says',
    (name) => {
      expect(registry?.environment?.[name]).toMatch(new RegExp(`^\\$\\{${name}:\\?.+\\}$`));
      expect(readme).toContain('`ADMIN_TOKEN`,\n`WEBHOOK_SECRET` and `PUBLIC_URL` are required');
    },
  );

  it.each([
    ['registry', /healthz/, 'GET /healthz'],
    ['postgres', /pg_isready/, 'pg_isready'],
    ['redis', /redis-cli.*ping/, 'redis-cli ping'],
  ])('gives %s the health check the README names', (name, pattern, documented) => {
    expect(compose.services[name]?.healthcheck?.test.join(' ')).toMatch(pattern);
    expect(readmeServices().get(name)?.[3]).toBe(`\`${documented}\``);
  });

  it('keeps the volumes the README names', () => {
    expect(Object.keys(compose.volumes).sort()).toEqual(['artifacts', 'pgdata']);
    expect(registry?.volumes).toEqual(['artifacts:/data']);
    expect(registry?.environment?.DATA_DIR).toBe('/data');
    expect(postgres?.volumes).toEqual(['pgdata:/var/lib/postgresql/data']);
    expect(redis?.volumes).toBeUndefined();
  });
});

describe('Dockerfile', () => {
  it('builds dist/ in a build stage and runs `bonsai registry serve` from it with production dependencies', () => {
    expect(dockerfile).toMatch(/^FROM node:20-[\w-]+ AS build$/m);
    expect(dockerfile).toContain('RUN npm run build');
    expect(dockerfile).toContain('npm ci --omit=dev --ignore-scripts');
    expect(dockerfile).toContain('COPY --from=build /app/dist ./dist');
    expect(dockerfile).toContain('ENTRYPOINT ["node", "dist/cli/main.js"]');
    expect(dockerfile).toContain('CMD ["registry", "serve"]');
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it('checks health on /healthz and exposes the port compose maps', () => {
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*\/healthz/);
    expect(dockerfile).toMatch(/^EXPOSE 3000$/m);
  });

  it('copies every source folder the build compiles', () => {
    const build = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
    for (const folder of build.include) expect(dockerfile).toContain(`COPY ${folder} ./${folder}`);
  });
});
