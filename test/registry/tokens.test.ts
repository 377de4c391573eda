import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bonsai } from '../cli/run-cli.js';
import { publish } from './support/fixtures.js';
import { startHarness, type Harness } from './support/harness.js';

/**
 * Scoped API tokens, as an operator uses them: made with the CLI against the database a running
 * registry shares, used on the CI trigger and the registration route, refused on the wrong scope, once
 * revoked and once expired; every write leaves an audit row.
 */

let h: Harness;
let env: Record<string, string>;
const cli = (args: string[]) => bonsai(['registry', ...args], { env, cwd: h.env.DATA_DIR });

beforeAll(async () => {
  h = await startHarness({ db: 'postgres' });
  env = { DATABASE_URL: h.env.DATABASE_URL!, DATA_DIR: h.env.DATA_DIR! };
  for (const repo of ['acme/check-one', 'other/check-two']) {
    h.gh.state.createRepo(repo);
    await publish(h.gh, repo, '1.0.0');
    await h.addRepo(repo);
  }
});
afterAll(() => h?.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function createToken(args: string[]): Promise<string> {
  const made = await cli(['token', 'create', ...args]);
  expect(made.code, made.stderr).toBe(0);
  return made.stdout.trim();
}

describe('bonsai registry token', () => {
  let token: string;

  it('create prints the token once and stores only its hash', async () => {
    const made = await cli(['token', 'create', '--name', 'ci-acme', '--scope', 'sync:acme/*']);
    expect(made.code).toBe(0);
    token = made.stdout.trim();
    expect(token).toMatch(/^bnsr_[\w-]{43}$/);
    expect(made.stderr).toContain('token ci-acme created (scopes sync:acme/*; expires never)');
    const { rows } = await h.registry.runtime.db.query<{ token_hash: string; scopes: string[] }>(
      "SELECT token_hash, scopes FROM api_tokens WHERE name = 'ci-acme'",
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).not.toContain(token);
    expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    const dump = JSON.stringify(
      (await h.registry.runtime.db.query('SELECT * FROM api_tokens')).rows.concat(
        (await h.registry.runtime.db.query('SELECT * FROM audit_log')).rows,
      ),
    );
    expect(dump).not.toContain(token);
    expect(dump).not.toContain(token.slice(5, 25));
  });

  it('is used by the CI trigger within its scope, and never logged', async () => {
    const res = await h.post('/assets/acme/check-one/build', '', bearer(token));
    expect(res.status).toBe(202);
    await h.waitForJob((res.json() as { job_id: number }).job_id);
    expect(h.logs.join('\n')).not.toContain(token);
    const listed = await cli(['token', 'list', '--json']);
    const rows = JSON.parse(listed.stdout) as { name: string; last_used_at: string; state: string }[];
    expect(rows.find((r) => r.name === 'ci-acme')).toMatchObject({ state: 'active' });
    expect(rows.find((r) => r.name === 'ci-acme')!.last_used_at).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('is refused with 403 FORBIDDEN outside its scope, naming the scope needed', async () => {
    const other = await h.post('/assets/other/check-two/build', '', bearer(token));
    expect(other.status).toBe(403);
    expect(other.json()).toEqual({
      error_code: 'FORBIDDEN',
      error_messages: [
        'token ci-acme (scopes sync:acme/*) may not do this: it needs scope sync:other/check-two',
        'create a token with the scope named above: bonsai registry token create --name NAME --scope SCOPE',
      ],
    });
    const register = await h.post('/api/v1/repos', { repository: 'acme/new-one' }, bearer(token));
    expect(register.status).toBe(403);
    expect(register.text).toContain('it needs scope admin');
  });

  it('a sync:NS/NAME token reaches that asset only; an admin token registers repositories', async () => {
    const one = await createToken(['--name', 'ci-one', '--scope', 'sync:acme/check-one']);
    expect((await h.post('/assets/ACME/Check-One/build', '', bearer(one))).status).toBe(202);
    expect((await h.post('/assets/other/check-two/build', '', bearer(one))).status).toBe(403);
    const admin = await createToken(['--name', 'ops-admin', '--scope', 'admin']);
    h.gh.state.createRepo('acme/check-three');
    const res = await h.post('/api/v1/repos', { repository: 'acme/check-three' }, bearer(admin));
    expect(res.status).toBe(201);
    await h.waitForJob((res.json() as { job_id: number }).job_id);
  });

  it('revoke makes the token a 401 from then on', async () => {
    const revoked = await cli(['token', 'revoke', 'ci-acme']);
    expect(revoked).toMatchObject({ code: 0, stdout: 'revoked token ci-acme\n' });
    const res = await h.post('/assets/acme/check-one/build', '', bearer(token));
    expect(res.status).toBe(401);
    expect(res.json()).toMatchObject({
      error_code: 'UNAUTHORIZED',
      error_messages: ['token ci-acme was revoked', 'create a new one: bonsai registry token create'],
    });
    const again = await cli(['token', 'revoke', 'ci-acme']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('[NOT_FOUND]: no active token named ci-acme');
  });

  it('an expired token is refused', async () => {
    const short = await createToken(['--name', 'short-lived', '--scope', 'admin', '--expires', '1m']);
    expect((await h.post('/assets/acme/check-one/build', '', bearer(short))).status).toBe(202);
    await h.registry.runtime.db.query(
      "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE name = 'short-lived'",
    );
    const res = await h.post('/assets/acme/check-one/build', '', bearer(short));
    expect(res.status).toBe(401);
    expect((res.json() as { error_messages: string[] }).error_messages[0]).toMatch(
      /^token short-lived expired at \d{4}-/,
    );
    const listed = JSON.parse((await cli(['token', 'list', '--json'])).stdout) as {
      name: string;
      state: string;
    }[];
    expect(listed.find((r) => r.name === 'short-lived')?.state).toBe('expired');
  });

  it('ADMIN_TOKEN stays a bootstrap admin; unknown tokens are 401', async () => {
    const admin = await h.post('/assets/other/check-two/build', '', bearer('admin-token-for-tests'));
    expect(admin.status).toBe(202);
    const unknown = await h.post('/assets/other/check-two/build', '', bearer('bnsr_not-a-token'));
    expect(unknown.status).toBe(401);
  });

  it.each([
    [['--name', 'x', '--scope', 'sync:acme'], 'unknown token scope "sync:acme"'],
    [['--name', 'x', '--scope', 'root'], 'unknown token scope "root"'],
    [['--name', 'x', '--scope', 'admin', '--expires', 'soon'], '--expires "soon" is not a duration'],
    [['--name', 'bad name!', '--scope', 'admin'], '--name "bad name!" is not a token name'],
    [['--name', 'ops-admin', '--scope', 'admin'], '[TOKEN_EXISTS]: a token named ops-admin exists already'],
  ])('create refuses bad input %j', async (args, message) => {
    const res = await cli(['token', 'create', ...args]);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(message);
  });

  it('audit lists every write: who, what, on what, under which request id', async () => {
    const res = await cli(['audit', '--json', '--limit', '1000']);
    expect(res.code).toBe(0);
    const rows = JSON.parse(res.stdout) as {
      actor: string;
      action: string;
      target: string;
      request_id: string | null;
    }[];
    const summary = rows.map((r) => `${r.actor} ${r.action} ${r.target}`);
    expect(summary).toEqual(
      expect.arrayContaining([
        'ADMIN_TOKEN repo.register acme/check-one',
        expect.stringMatching(/^cli:\S+ token\.create ci-acme$/),
        'token:ci-acme sync.queue acme/check-one',
        'token:ci-one sync.queue acme/check-one',
        'token:ops-admin repo.register acme/check-three',
        expect.stringMatching(/^cli:\S+ token\.revoke ci-acme$/),
        'token:short-lived sync.queue acme/check-one',
        'ADMIN_TOKEN sync.queue other/check-two',
      ]),
    );
    // Refused requests change nothing and leave no row.
    expect(summary.filter((s) => s.includes('other/check-two') && s.startsWith('token:'))).toEqual([]);
    for (const r of rows.filter((r) => r.actor.startsWith('token:') || r.actor === 'ADMIN_TOKEN'))
      expect(r.request_id).toMatch(/^[\w-]{8,}$/);
    const text = await cli(['audit', '--limit', '2']);
    expect(text.stdout.trim().split('\n')).toHaveLength(2);
    expect((await cli(['audit', '--limit', '0'])).code).toBe(1);
  });
});
