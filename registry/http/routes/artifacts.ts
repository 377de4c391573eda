import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import type { Router } from '@koa/router';
import { notFound } from '../../errors.js';
import type { HttpDeps } from '../deps.js';

/** Mirrored artifacts are immutable per commit: clients and CDNs may keep them for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export function artifactRoutes(router: Router, deps: HttpDeps): void {
  router.get('/artifacts/:commit/:file', async (ctx) => {
    const { commit, file } = ctx.params as { commit: string; file: string };
    if (deps.artifacts.redirect) {
      // s3 mode: the bucket may be private; a short-lived signed URL lets this one client read the object.
      const signed = await deps.artifacts.redirect(commit, file);
      if (signed === undefined) throw notFound();
      ctx.set('Cache-Control', 'no-store');
      ctx.redirect(signed);
      return;
    }
    const local = deps.artifacts.locate(commit, file);
    const stat = local === undefined ? undefined : await fs.stat(local).catch(() => undefined);
    if (local === undefined || !stat?.isFile()) throw notFound();
    ctx.set('Cache-Control', IMMUTABLE);
    ctx.set('Last-Modified', stat.mtime.toUTCString());
    ctx.type = 'application/octet-stream';
    ctx.length = stat.size;
    ctx.body = createReadStream(local);
  });
}
