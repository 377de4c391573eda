import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { z } from 'zod';
import type { EmulatorControl } from './control.js';

/**
 * What the emulator process can be started with (a JSON file, or flags turned into one): tokens,
 * repositories with commits (files inline or a directory), releases with assets read from files, hooks.
 * Paths are relative to `baseDir` (the seed file's folder, or the working directory for flags).
 */
export const seedSchema = z.object({
  tokens: z
    .array(
      z.object({
        token: z.string().min(1),
        login: z.string().min(1),
        write: z.boolean().optional(),
        repos: z.array(z.string()).optional(),
      }),
    )
    .default([]),
  repos: z
    .array(
      z.object({
        name: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'expected owner/name'),
        private: z.boolean().optional(),
        description: z.string().optional(),
        commits: z
          .array(
            z.object({
              tag: z.string().optional(),
              annotated: z.boolean().optional(),
              message: z.string().optional(),
              dir: z.string().optional(),
              files: z.record(z.string(), z.string()).optional(),
            }),
          )
          .default([]),
        releases: z
          .array(
            z.object({
              tag_name: z.string(),
              name: z.string().optional(),
              body: z.string().optional(),
              draft: z.boolean().optional(),
              prerelease: z.boolean().optional(),
              assets: z
                .array(
                  z.object({
                    path: z.string(),
                    name: z.string().optional(),
                    content_type: z.string().optional(),
                  }),
                )
                .default([]),
            }),
          )
          .default([]),
        hooks: z
          .array(
            z.object({
              url: z.string(),
              secret: z.string().optional(),
              events: z.array(z.string()).optional(),
              content_type: z.enum(['json', 'form']).optional(),
            }),
          )
          .default([]),
      }),
    )
    .default([]),
});

export type Seed = z.input<typeof seedSchema>;

/** Every file below `dir` (not `.git` or `node_modules`), keyed by its path relative to `dir`. */
export function readTree(dir: string): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      if (entry.name === '.git' || entry.name === 'node_modules') continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) files[relative(dir, path).split('\\').join('/')] = readFileSync(path);
    }
  };
  walk(dir);
  return files;
}

/** Applies a seed; returns the commit sha of every tagged commit, keyed `owner/name@tag`. */
export function applySeed(control: EmulatorControl, input: Seed, baseDir: string): Record<string, string> {
  const parsed = seedSchema.safeParse(input);
  if (!parsed.success) throw new Error(`the seed does not fit its schema:\n${z.prettifyError(parsed.error)}`);
  const seed = parsed.data;
  const tagged: Record<string, string> = {};
  for (const token of seed.tokens) control.addToken(token.token, token);
  for (const repo of seed.repos) {
    control.createRepo(repo.name, {
      ...(repo.private !== undefined ? { private: repo.private } : {}),
      ...(repo.description !== undefined ? { description: repo.description } : {}),
    });
    for (const { dir, files, ...commit } of repo.commits) {
      const tree = { ...(dir ? readTree(resolve(baseDir, dir)) : {}), ...files };
      const sha = control.commit(repo.name, { ...commit, files: tree });
      if (commit.tag) tagged[`${repo.name}@${commit.tag}`] = sha;
    }
    for (const { assets, ...release } of repo.releases) {
      const { id } = control.createRelease(repo.name, release);
      for (const asset of assets) {
        const path = resolve(baseDir, asset.path);
        control.addAsset(id, {
          name: asset.name ?? path.split('/').pop() ?? asset.path,
          data: readFileSync(path),
          ...(asset.content_type ? { contentType: asset.content_type } : {}),
        });
      }
    }
    for (const hook of repo.hooks) {
      control.addHook(repo.name, {
        url: hook.url,
        ...(hook.secret ? { secret: hook.secret } : {}),
        ...(hook.events ? { events: hook.events } : {}),
        ...(hook.content_type ? { contentType: hook.content_type } : {}),
      });
    }
  }
  return tagged;
}
