-- The registry's schema. Runs unchanged on PGlite and PostgreSQL: plain SQL, no extensions.
-- JSON payloads use the `json` type (text kept as written) so key order survives (annotations are ordered).

-- A registered GitHub repository, served as asset NAMESPACE/NAME.
CREATE TABLE assets (
  id SERIAL PRIMARY KEY,
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  -- set by add-repo --description; otherwise taken from GitHub at each sync
  description TEXT NOT NULL DEFAULT '',
  description_locked BOOLEAN NOT NULL DEFAULT false,
  github_url TEXT NOT NULL,
  tier TEXT NOT NULL DEFAULT 'Community',
  tags JSON NOT NULL DEFAULT '[]',
  deprecated BOOLEAN NOT NULL DEFAULT false,
  downloads INTEGER NOT NULL DEFAULT 0,
  -- one ETag per page of the release list, for the poller's conditional requests
  releases_etags JSON NOT NULL DEFAULT '[]',
  -- the API asset object, rendered at write time, and its strong ETag
  body TEXT,
  etag TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  -- when served data last changed (order=recently_updated)
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  synced_at TIMESTAMPTZ,
  -- registration enqueues a full sync, so the first poll is one interval later
  polled_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX assets_by_key ON assets (lower(namespace), lower(name));

-- One row per release tag ever seen. The served data (commit_sha .. etag) is the last good ingest;
-- the attempt_* columns describe the last try, which may have failed while the good data stays served.
CREATE TABLE versions (
  id SERIAL PRIMARY KEY,
  asset_id INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  release_id TEXT,
  prerelease BOOLEAN NOT NULL DEFAULT false,
  -- the tag ref's ETag and the commit it resolved to (conditional request at the next sync)
  tag_etag TEXT,
  tag_commit TEXT,
  attempt_state TEXT,
  attempt_fingerprint TEXT,
  attempt_commit TEXT,
  attempt_errors JSON NOT NULL DEFAULT '[]',
  attempt_warnings JSON NOT NULL DEFAULT '[]',
  attempted_at TIMESTAMPTZ,
  commit_sha TEXT,
  fingerprint TEXT,
  annotations JSON,
  labels JSON,
  ingested_at TIMESTAMPTZ,
  body TEXT,
  etag TEXT,
  removed_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (asset_id, tag)
);

-- The builds of a version's served data, in bonsai.yml order, each with its rendered definitions.
CREATE TABLE builds (
  id SERIAL PRIMARY KEY,
  version_id INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  platform TEXT NOT NULL,
  arch TEXT NOT NULL,
  asset_filename TEXT NOT NULL,
  sha512 TEXT NOT NULL,
  filters JSON NOT NULL,
  size BIGINT NOT NULL,
  source_url TEXT NOT NULL,
  -- COMMIT/FILE under the artifacts folder when mirrored; NULL in link mode
  mirror_path TEXT,
  -- renders (NULL only inside the transaction that writes the build)
  body TEXT,
  etag TEXT,
  yaml TEXT,
  yaml_etag TEXT,
  UNIQUE (version_id, platform, arch)
);

-- Every ingest outcome, errors included (Bonsai's wording, with line numbers).
CREATE TABLE ingest_log (
  id SERIAL PRIMARY KEY,
  asset_id INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
  tag TEXT,
  job_id INTEGER,
  outcome TEXT NOT NULL,
  commit_sha TEXT,
  message TEXT NOT NULL DEFAULT '',
  diagnostics JSON NOT NULL DEFAULT '[]',
  at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ingest_log_by_asset ON ingest_log (asset_id, id);

-- The durable job table every trigger goes through (webhook, CI, poller, add-repo).
CREATE TABLE jobs (
  id SERIAL PRIMARY KEY,
  kind TEXT NOT NULL,
  asset_id INTEGER REFERENCES assets (id) ON DELETE CASCADE,
  payload JSON NOT NULL DEFAULT '{}',
  dedupe_key TEXT,
  state TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  run_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  locked_by TEXT,
  locked_until TIMESTAMPTZ,
  last_error TEXT,
  result JSON,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  finished_at TIMESTAMPTZ
);
-- At most one pending job per key: a burst of webhooks for one repository makes one job.
CREATE UNIQUE INDEX jobs_pending_by_key ON jobs (dedupe_key) WHERE state = 'pending';
CREATE INDEX jobs_ready ON jobs (run_at, id) WHERE state IN ('pending', 'running');

-- GitHub deliveries already accepted (X-GitHub-Delivery), so a replay is not processed twice.
CREATE TABLE webhook_deliveries (
  delivery_id TEXT PRIMARY KEY,
  event TEXT NOT NULL,
  asset_id INTEGER REFERENCES assets (id) ON DELETE SET NULL,
  job_id INTEGER,
  received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Small facts about the whole registry (e.g. the base URLs the stored renders were made with).
CREATE TABLE registry_state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
