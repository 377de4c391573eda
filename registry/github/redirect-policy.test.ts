import { describe, expect, it } from 'vitest';
import {
  ArtifactRedirectRefusedError,
  checkRedirect,
  isInternalAddress,
  parseArtifactHosts,
  type RedirectPolicy,
} from './redirect-policy.js';

const policy = (resolved: Record<string, string[]> = {}, allowedHosts: string[] = []): RedirectPolicy => ({
  apiUrl: 'https://api.github.com',
  allowedHosts,
  resolve: async (host) => resolved[host] ?? ['140.82.112.3'],
});

async function refusal(url: string, p: RedirectPolicy): Promise<string> {
  try {
    await checkRedirect(new URL(url), p);
  } catch (err) {
    expect(err).toBeInstanceOf(ArtifactRedirectRefusedError);
    return (err as Error).message;
  }
  throw new Error(`${url} was allowed`);
}

describe('artifact redirect policy', () => {
  it.each([
    'https://objects.githubusercontent.com/github-production-release-asset/1?sig=x',
    'https://github.com/acme/x/releases/download/1.0.0/x.tar.gz',
    'https://api.github.com/repos/acme/x/releases/assets/1',
  ])('follows GitHub: %s', async (url) => {
    await expect(checkRedirect(new URL(url), policy())).resolves.toBeUndefined();
  });

  it.each([
    ['https://downloads.example.com/x', /not a GitHub host/],
    ['https://objects.githubusercontent.com.evil.example/x', /not a GitHub host/],
    ['https://githubusercontent.com/x', /not a GitHub host/],
    ['http://169.254.169.254/latest/meta-data/', /not a GitHub host/],
    ['http://127.0.0.1:6379/', /not a GitHub host/],
    ['file:///etc/passwd', /only http and https/],
    ['https://user:pw@github.com/x', /credentials/],
  ])('refuses %s', async (url, reason) => {
    expect(await refusal(url, policy())).toMatch(reason);
  });

  it('refuses a GitHub host name that resolves to an internal address (DNS rebinding)', async () => {
    const p = policy({ 'objects.githubusercontent.com': ['140.82.112.3', '10.1.2.3'] });
    expect(await refusal('https://objects.githubusercontent.com/x', p)).toMatch(
      /internal address 10\.1\.2\.3/,
    );
  });

  it('follows the API host and ARTIFACT_HOSTS even when internal (GitHub Enterprise, the emulator)', async () => {
    const p: RedirectPolicy = {
      ...policy({}, ['storage.corp.example', '*.cdn.corp.example']),
      apiUrl: 'http://127.0.0.1:9000/api/v3',
    };
    for (const url of [
      'http://127.0.0.1:9001/asset',
      'https://storage.corp.example/x',
      'https://eu.cdn.corp.example/x',
    ])
      await expect(checkRedirect(new URL(url), p)).resolves.toBeUndefined();
    expect(await refusal('https://cdn.corp.example.evil/x', p)).toMatch(/not a GitHub host/);
    expect(await refusal('http://localhost:9001/asset', p)).toMatch(/not a GitHub host/);
  });

  it('knows internal addresses', () => {
    for (const a of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '0.0.0.0',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
    ])
      expect(isInternalAddress(a), a).toBe(true);
    for (const a of ['140.82.112.3', '8.8.8.8', '2606:50c0:8000::154', '172.32.0.1'])
      expect(isInternalAddress(a), a).toBe(false);
  });

  it('reads ARTIFACT_HOSTS separated by commas or spaces', () => {
    expect(parseArtifactHosts(' a.example.com, *.B.example.com  c.example.com,')).toEqual([
      'a.example.com',
      '*.b.example.com',
      'c.example.com',
    ]);
    expect(parseArtifactHosts(undefined)).toEqual([]);
  });
});
