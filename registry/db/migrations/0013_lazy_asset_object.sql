-- The asset object is assembled when read (issue 12). An ingest, removal or restore renders its own
-- version's definitions and entry, then only marks the asset object stale: the first read of the object
-- assembles it from the stored entries (ingest/render.ts assembleAsset) and stores it with its ETag. While
-- stale, `body` and `etag` are the object as it was before, and are never served.
ALTER TABLE assets ADD COLUMN body_stale boolean NOT NULL DEFAULT false;
-- A removed or withdrawn version keeps its entry until the render in its transaction takes it out of the
-- asset object (store/versions.ts dropUnservedEntries): this index finds those without reading the others.
CREATE INDEX versions_entry_left ON versions (asset_id)
  WHERE entry IS NOT NULL AND (removed_at IS NOT NULL OR commit_sha IS NULL);
