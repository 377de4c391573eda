-- Incremental render (issue 12). `versions.entry`: the version's entry of the API asset object (its JSON
-- text, exactly as it appears in `assets.body`), stored when the version is rendered; the asset object is
-- rebuilt from the stored entries, so an ingest renders only its own release. NULL: not in the asset object
-- (not served, or rendered before this migration: the next render of the asset renders it again).
ALTER TABLE versions ADD COLUMN entry text;
-- `assets.rendered_with`: the base URLs (JSON of publicUrl and artifactsUrl) the asset's stored renders
-- embed. A read of an asset rendered with other URLs renders it again first; after a PUBLIC_URL change a
-- background task renders the rest. Existing renders were made with the URLs the server last rendered with.
ALTER TABLE assets ADD COLUMN rendered_with text;
UPDATE assets SET rendered_with = (SELECT value FROM registry_state WHERE key = 'render_urls')
  WHERE body IS NOT NULL;
-- A render of an ingest reads only the versions without a render or entry (store/versions.ts UNRENDERED).
CREATE INDEX versions_unrendered ON versions (asset_id) WHERE etag IS NULL OR entry IS NULL;
-- The asset object is rewritten at each ingest and grows with the versions (about 1.5 MB at 1,000): lz4
-- compresses it several times faster than the default pglz (bench:render, Postgres: 37 -> 27 ms at 1,000
-- versions). Where the server was built without lz4, the default stays.
DO $$ BEGIN ALTER TABLE assets ALTER COLUMN body SET COMPRESSION lz4; ALTER TABLE versions ALTER COLUMN entry SET COMPRESSION lz4; EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'lz4 is not available (%): renders are compressed with pglz', SQLERRM; END $$;
