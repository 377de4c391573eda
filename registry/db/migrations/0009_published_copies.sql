-- A mirrored copy (disk or S3) is `published` once it is confirmed at its path in the artifact store. A version
-- is served only when every copy of its builds is published: a copy that failed after the version's commit
-- leaves the version unserved until a later sync publishes it. Rows written before this column were served
-- already, so they count as published (`bonsai registry artifacts verify` re-reads them).
ALTER TABLE builds ADD COLUMN published BOOLEAN NOT NULL DEFAULT true;
CREATE INDEX builds_unpublished ON builds (version_id) WHERE NOT published;
