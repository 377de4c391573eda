import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  apiAsset,
  bonsaiAnnotations,
  multiBuildDefinition,
  toDefinitionJson,
} from '../../bonsai-schema/index.js';

/**
 * A minimal Bonsai API v1 read side for the `bonsai add` tests: assets and versions given by the test,
 * answered with the schema's own builders (the shapes the real registry serves). Records every request.
 */
export interface StandInAsset {
  namespace: string;
  name: string;
  versions: string[];
  /** Override a definition body for one version (to serve broken ones). */
  definitionBody?: Record<string, string>;
}

export interface StandIn {
  url: string;
  requests: { method: string; url: string; accept: string | undefined }[];
  close(): Promise<void>;
}

const SHA = 'ab'.repeat(64);

export async function startRegistryStandIn(
  assets: StandInAsset[],
  override?: (req: IncomingMessage) => { status: number; type: string; body: string } | 'hang' | undefined,
): Promise<StandIn> {
  const requests: StandIn['requests'] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', accept: req.headers.accept });
    const special = override?.(req);
    if (special === 'hang') return; // never answers
    if (special) {
      res.writeHead(special.status, { 'content-type': special.type }).end(special.body);
      return;
    }
    const base = `http://${req.headers.host}`;
    const match = /^\/api\/v1\/assets\/([^/]+)\/([^/]+)(?:\/([^/]+)\/release_asset_builds)?$/.exec(
      req.url ?? '',
    );
    const asset = match && assets.find((a) => a.namespace === match[1] && a.name === match[2]);
    const version = match?.[3] && decodeURIComponent(match[3]);
    if (!asset || (version !== undefined && !asset.versions.includes(version))) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"error_messages":["Resource does not exist."],"error_code":"NOT_FOUND"}');
      return;
    }
    const annotations = (v: string) =>
      bonsaiAnnotations({ baseUrl: base, namespace: asset.namespace, name: asset.name, version: v });
    const build = (v: string) => ({
      platform: 'linux',
      arch: 'amd64',
      url: `${base}/files/${asset.name}_${v}_linux_amd64.tar.gz`,
      sha512: SHA,
      filters: ["entity.system.os == 'linux'"],
      lastModified: new Date('2026-01-02T03:04:05Z'),
    });
    const body =
      version === undefined
        ? JSON.stringify(
            apiAsset({
              baseUrl: base,
              namespace: asset.namespace,
              name: asset.name,
              githubUrl: `https://github.com/${asset.namespace}/${asset.name}`,
              deprecated: false,
              versions: asset.versions.map((v) => ({
                version: v,
                annotations: annotations(v),
                builds: [build(v)],
              })),
            }),
          )
        : (asset.definitionBody?.[version] ??
          toDefinitionJson(
            multiBuildDefinition({
              name: asset.name,
              annotations: annotations(version),
              builds: [build(version)],
            }),
          ));
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
