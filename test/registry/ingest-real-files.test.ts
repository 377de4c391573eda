import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBonsaiConfig, planRelease } from '../../bonsai-schema/index.js';
import { realBonsaiYmlDir } from '../shared-dir.js';
import { assetArchive, publish, sha512 } from './support/fixtures.js';
import { startHarness, type Harness } from './support/harness.js';

/**
 * Real bonsai.yml files ingest and are served as bonsai.sensu.io serves them: every build, in file order,
 * with its filters as written; a duplicate (platform, arch) keeps the last build of the pair, with a
 * warning on the version's status (COMPAT §1).
 */

const shared = realBonsaiYmlDir();
const sharedFiles = shared ? readdirSync(shared).filter((f) => f.endsWith('.yml')) : [];
const own = path.join(import.meta.dirname, '../conformance/fixtures');
const cases: [string, string][] = [
  ...sharedFiles.map((f): [string, string] => [f, path.join(shared!, f)]),
  ['nagiosfoundation.bonsai.yml', path.join(own, 'nagiosfoundation.bonsai.yml')],
];

interface ServedAsset {
  versions: { version: string; assets: { platform: string; arch: string; filter: string[] }[] }[];
}
interface Status {
  versions: {
    version: string;
    state: string;
    errors: { code: string }[];
    warnings: { code: string; line: number }[];
  }[];
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

let count = 0;

/** Publishes a release holding exactly the files the bonsai.yml names (archives and checksum files). */
async function publishReal(yml: string): Promise<string> {
  const fullName = `real/plugin-${++count}`;
  const repo = fullName.split('/')[1]!;
  h.gh.state.createRepo(fullName);
  await h.addRepo(fullName);
  const config = parseBonsaiConfig(yml).config!;
  const plan = planRelease(config, { repo, tag: '1.0.0' });
  const files: Record<string, Buffer | string | null> = {
    // The helper's own checksum file: not part of this release unless the bonsai.yml names it.
    [`${repo}_1.0.0_sha512-checksums.txt`]: null,
  };
  for (const build of plan.builds) {
    files[build.assetFilename] ??= await assetArchive(repo, /windows/i.test(build.platform));
  }
  for (const sums of plan.checksumFiles) {
    files[sums] = plan.builds
      .filter((b) => b.shaFilename === sums)
      .map((b) => `${sha512(files[b.assetFilename] as Buffer)}  ${b.assetFilename}\n`)
      .join('');
  }
  await publish(h.gh, fullName, '1.0.0', { yml, builds: [], files });
  await h.sync(fullName);
  return fullName;
}

describe('real bonsai.yml files ingest and are served as Bonsai serves them', () => {
  it.each(cases)('%s', async (_name, file) => {
    const yml = readFileSync(file, 'utf8');
    const fullName = await publishReal(yml);
    const status = (await h.get(`/api/v1/assets/${fullName}/status`)).json() as Status;
    const version = status.versions.find((v) => v.version === '1.0.0')!;
    expect(version.errors).toEqual([]);
    expect(version.state).not.toBe('failed');
    const asset = (await h.get(`/api/v1/assets/${fullName}`)).json() as ServedAsset;
    const served = asset.versions[0]!.assets.map((b) => ({
      platform: b.platform,
      arch: b.arch,
      filter: b.filter,
    }));
    // What Bonsai serves: one build per (platform, arch), the last of a pair, with its filters verbatim.
    const expected = new Map<string, { platform: string; arch: string; filter: string[] }>();
    for (const build of parseBonsaiConfig(yml).config!.builds) {
      expected.set(`${build.platform}/${build.arch}`, {
        platform: build.platform,
        arch: build.arch,
        filter: build.filters,
      });
    }
    expect(served).toEqual([...expected.values()]);
  });

  it('nagiosfoundation: windows/amd64 twice is served once, from the last build, with a warning on the status', async () => {
    const yml = readFileSync(path.join(own, 'nagiosfoundation.bonsai.yml'), 'utf8');
    const fullName = await publishReal(yml);
    const status = (await h.get(`/api/v1/assets/${fullName}/status`)).json() as Status;
    const version = status.versions.find((v) => v.version === '1.0.0')!;
    expect(version.warnings.map((w) => `${w.code} ${w.line}`)).toContain('BUILD_DUPLICATE_PLATFORM_ARCH 28');
    const builds = (await h.get(`/api/v1/assets/${fullName}/1.0.0/release_asset_builds`)).json() as {
      spec: { builds: { url: string; filters: string[] }[] };
    };
    expect(builds.spec.builds.map((b) => path.basename(new URL(b.url).pathname))).toEqual([
      `${fullName.split('/')[1]}-linux-amd64-1.0.0.tgz`,
      `${fullName.split('/')[1]}-linux-386-1.0.0.tgz`,
      `${fullName.split('/')[1]}-windows-386-1.0.0.tgz`,
    ]);
    expect(builds.spec.builds[2]!.filters).toEqual([
      "entity.system.os == 'windows'",
      "entity.system.arch == '386'",
    ]);
  });
});
