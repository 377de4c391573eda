-- What the web pages show of a version besides its builds, stored at ingest from the tag's commit: the README
-- (first root file named README*, size-capped) and the GitHub release notes. Both are untrusted Markdown,
-- kept as written and sanitised when rendered.
ALTER TABLE versions ADD COLUMN readme TEXT;
ALTER TABLE versions ADD COLUMN readme_file TEXT;
ALTER TABLE versions ADD COLUMN release_notes TEXT;
