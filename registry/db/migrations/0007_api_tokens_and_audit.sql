-- Scoped API tokens (bonsai registry token create): only a SHA-256 of each token is stored.
CREATE TABLE api_tokens (
  id SERIAL PRIMARY KEY,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  -- ["admin"], ["sync:acme/*"], ["sync:acme/check-cpu"], ...
  scopes JSON NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at TIMESTAMPTZ,
  last_used_at TIMESTAMPTZ,
  revoked_at TIMESTAMPTZ
);
-- A name names one live token; a revoked token's name may be used again.
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at IS NULL;

-- Who changed what, when, under which request id (bonsai registry audit).
CREATE TABLE audit_log (
  id SERIAL PRIMARY KEY,
  at TIMESTAMPTZ NOT NULL DEFAULT now(),
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  request_id TEXT,
  detail JSON NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_by_at ON audit_log (at, id);

-- Retention (RETENTION_DAYS) prunes by age in small batches: these keep each batch an index scan.
CREATE INDEX jobs_finished_at ON jobs (finished_at) WHERE state IN ('done', 'failed');
CREATE INDEX webhook_deliveries_by_received ON webhook_deliveries (received_at);
CREATE INDEX ingest_log_by_at ON ingest_log (at);
