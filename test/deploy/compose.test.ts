import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { SETTINGS, loadConfig } from '../../registry/config.js';
import { Metrics } from '../../registry/metrics.js';

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
  entrypoint?: string[];
  restart?: string;
  profiles?: string[];
  configs?: { source: string; target: string }[];
}
const compose = load(read('docker-compose.yml')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  configs: Record<string, { file?: string; content?: string }>;
};
const readme = read('README.md');
const dockerfile = read('Dockerfile');

/** The README's production table: service → its row's cells. */
function readmeServices(): Map<string, string[]> {
  const section = readme.slice(
    readme.indexOf('## Production: docker compose'),
    readme.indexOf('## Development'),
  );
  const rows = section.split('\n').filter((l) => /^\| `[a-z-]+` \|/.test(l));
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
      'minio-init': { condition: 'service_completed_successfully' },
    });
  });

  it('passes only settings the registry knows, and every one the README names for compose', () => {
    // The registry's settings, and the standard AWS chain's credentials (read by the AWS SDK itself).
    const known = new Set<string>([
      ...SETTINGS.map((s) => s.env),
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
    ]);
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
    ['registry', /\/readyz'/, 'GET /readyz'],
    ['postgres', /pg_isready/, 'pg_isready'],
    ['redis', /redis-cli.*ping/, 'redis-cli ping'],
    ['minio', /mc ready local/, 'mc ready local'],
  ])('gives %s the health check the README names', (name, pattern, documented) => {
    expect(compose.services[name]?.healthcheck?.test.join(' ')).toMatch(pattern);
    expect(readmeServices().get(name)?.[3]).toBe(`\`${documented}\``);
  });

  it('keeps the volumes the README names, and none shared by the replicas', () => {
    expect(Object.keys(compose.volumes).sort()).toEqual(['minio', 'pgdata', 'prometheus']);
    expect(registry?.volumes).toBeUndefined();
    expect(readmeServices().get('registry')?.[4]).toBe('none (artifacts in the bucket)');
    expect(compose.services.minio?.volumes).toEqual(['minio:/data']);
    expect(registry?.environment?.DATA_DIR).toBe('/data');
    expect(postgres?.volumes).toEqual(['pgdata:/var/lib/postgresql/data']);
    expect(redis?.volumes).toBeUndefined();
  });
});

/**
 * A compose value as `docker compose` interpolates it from `given` (its environment): `${VAR}`, `${VAR:-d}`,
 * `${VAR-d}`, `${VAR:?error}` (refused when unset or empty), `${VAR:+alt}`, and `$$` for a literal `$`.
 */
function interpolate(value: string, given: Record<string, string>): string {
  return value.replace(
    /\$\$|\$\{(\w+)(?:(:?)([-?+])([^}]*))?\}/g,
    (whole, name?: string, colon?: string, op?: string, arg = '') => {
      if (name === undefined) return '$';
      const v = given[name];
      const unset = v === undefined || (colon === ':' && v === '');
      if (op === '-') return unset ? arg : v!;
      if (op === '+') return unset ? '' : arg;
      if (op === '?' && unset) throw new Error(`compose refuses to start: ${arg}`);
      return v ?? '';
    },
  );
}

describe('artifacts in MinIO', () => {
  const { registry, minio } = compose.services;
  const init = compose.services['minio-init'];
  const env = registry?.environment ?? {};
  /** A compose value with its `${VAR:-default}` replaced by the default. */
  const defaulted = (value: string | undefined) => value?.replace(/\$\{\w+:-([^}]*)\}/g, '$1');

  it('runs the replicas in s3 mode on the MinIO service, path-style, with its credentials', () => {
    expect(defaulted(env.ARTIFACTS_MODE)).toBe('s3');
    const endpoint = new URL(defaulted(env.S3_ENDPOINT)!);
    expect(endpoint.hostname).toBe('minio');
    expect(minio?.command).toEqual(['server', '/data', '--console-address', ':9001']);
    expect(endpoint.port).toBe('9000');
    expect(minio?.ports).toEqual(['9000:9000']);
    // Presigned redirects are signed for MinIO's port published on the host, which agents can reach.
    const publicEndpoint = new URL(defaulted(env.S3_PUBLIC_ENDPOINT)!);
    expect(`${publicEndpoint.port}:${endpoint.port}`).toBe(minio?.ports?.[0]);
    expect(readme).toContain("`S3_PUBLIC_ENDPOINT`, MinIO's port published on the host");
    expect(defaulted(env.S3_FORCE_PATH_STYLE)).toBe('true');
    expect(env.AWS_ACCESS_KEY_ID).toBe(minio?.environment?.MINIO_ROOT_USER);
    expect(env.AWS_SECRET_ACCESS_KEY).toBe(minio?.environment?.MINIO_ROOT_PASSWORD);
    // MinIO refuses a root password shorter than 8 characters.
    expect(defaulted(minio?.environment?.MINIO_ROOT_PASSWORD)!.length).toBeGreaterThanOrEqual(8);
  });

  it("gives the replicas settings the registry's own parser accepts, in s3 mode on the minio service", () => {
    const required = { PUBLIC_URL: 'https://bonsai.example.com', WEBHOOK_SECRET: 'w', ADMIN_TOKEN: 'a' };
    const replicaEnv = (given: Record<string, string>) =>
      Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(v, given)]));
    const config = loadConfig({ env: replicaEnv(required), cwd: '/' });
    expect(config).toMatchObject({ artifactsMode: 's3', publicUrl: required.PUBLIC_URL, dataDir: '/data' });
    expect(config.s3).toEqual({
      bucket: interpolate(init!.environment!.BUCKET!, required),
      prefix: '',
      region: 'us-east-1',
      endpoint: 'http://minio:9000',
      publicEndpoint: 'http://localhost:9000',
      forcePathStyle: true,
    });
    // What an operator sets in compose's environment reaches the registry, checked by the same parser.
    const custom = loadConfig({
      env: replicaEnv({
        ...required,
        S3_PUBLIC_ENDPOINT: 'https://s3.example.com',
        S3_PREFIX: 'registry',
        S3_BUCKET: 'artifacts',
      }),
      cwd: '/',
    });
    expect(custom.s3).toMatchObject({
      bucket: 'artifacts',
      prefix: 'registry',
      publicEndpoint: 'https://s3.example.com',
    });
    // The one-shot service creates that very bucket, and expires the partial uploads under that prefix.
    const initEnv = { ...required, S3_PREFIX: 'registry', S3_BUCKET: 'artifacts' };
    expect(interpolate(init!.environment!.BUCKET!, initEnv)).toBe('artifacts');
    expect(interpolate(init!.environment!.PARTIAL!, initEnv)).toBe('registry/.partial/');
    expect(() =>
      loadConfig({ env: replicaEnv({ ...required, S3_PUBLIC_ENDPOINT: 'minio:9000' }), cwd: '/' }),
    ).toThrow('S3_PUBLIC_ENDPOINT (--s3-public-endpoint): must be an http:// or https:// URL');
    expect(() => replicaEnv({})).toThrow('compose refuses to start: set PUBLIC_URL');
  });

  it("creates the registry's bucket once MinIO is healthy, in a one-shot service the replicas wait for", () => {
    expect(init?.depends_on).toEqual({ minio: { condition: 'service_healthy' } });
    expect(init?.restart).toBe('no');
    expect(init?.environment?.BUCKET).toBe(env.S3_BUCKET);
    expect(init?.environment?.MINIO_ROOT_USER).toBe(minio?.environment?.MINIO_ROOT_USER);
    const script = init?.entrypoint?.join(' ') ?? '';
    expect(script).toContain('mc alias set store http://minio:9000');
    expect(script).toContain('mc mb --ignore-existing "store/$$BUCKET"');
    expect(script).toContain('mc ilm rule add --prefix "$$PARTIAL" --expire-days 1');
    expect(init?.environment?.PARTIAL).toBe('${S3_PREFIX:-}${S3_PREFIX:+/}.partial/');
    expect(readmeServices().get('minio-init')?.[1]).toContain('creates the bucket');
  });
});

describe('monitoring', () => {
  const prometheus = compose.services.prometheus;
  const scrape = load(read('deploy/prometheus.yml')) as {
    scrape_configs: {
      metrics_path: string;
      authorization?: { type: string; credentials_file: string };
      dns_sd_configs: { names: string[]; port: number }[];
    }[];
  };

  it('runs Prometheus in the monitoring profile, scraping every registry replica on /metrics with METRICS_TOKEN', () => {
    expect(prometheus?.profiles).toEqual(['monitoring']);
    expect(readmeServices().get('prometheus')?.[1]).toContain('profile `monitoring`');
    const job = scrape.scrape_configs[0]!;
    expect(job.metrics_path).toBe('/metrics');
    expect(job.dns_sd_configs[0]).toMatchObject({ names: ['registry'], port: 3000 });
    const mounted = new Map(prometheus?.configs?.map((c) => [c.target, c.source]));
    expect(compose.configs[mounted.get('/etc/prometheus/prometheus.yml')!]?.file).toBe(
      './deploy/prometheus.yml',
    );
    expect(mounted.get(job.authorization!.credentials_file)).toBe('metrics-token');
    expect(compose.configs['metrics-token']?.content).toBe('${METRICS_TOKEN:-}');
    expect(compose.services.registry?.environment?.METRICS_TOKEN).toBe('${METRICS_TOKEN:-}');
  });

  it('ships a Grafana dashboard whose every query names metrics the registry exports', async () => {
    const dashboard = JSON.parse(read('deploy/grafana-dashboard.json')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const exported = new Set(
      (await new Metrics().registry.getMetricsAsJSON()).flatMap((m) =>
        String(m.type) === 'histogram' ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name],
      ),
    );
    const functions = new Set(['sum', 'by', 'rate', 'increase', 'max', 'min', 'histogram_quantile', 'le']);
    expect(dashboard.panels.length).toBeGreaterThan(10);
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets) {
        const names = expr
          .replace(/\{[^}]*\}|\[[^\]]*\]/g, '')
          .replace(/\bby \([^)]*\)/g, '')
          .match(/[a-z_:][a-z0-9_:]*/g)!
          .filter((n) => !functions.has(n));
        expect(names.length, panel.title).toBeGreaterThan(0);
        for (const name of names) expect(exported, `${panel.title}: ${name}`).toContain(name);
      }
    }
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
