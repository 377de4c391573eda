-- q= matches each word anywhere (any case) in an asset's namespace, name, description or tags. A trigram
-- index (pg_trgm) answers those substring matches without reading every asset; the search expression below
-- is the one the queries use (registry/store/assets.ts: SEARCH_TEXT), or the planner would not use it.
-- pg_trgm ships with PostgreSQL's contrib package and with PGlite (loaded by registry/db/pglite.ts). Where it
-- cannot be installed, the migration still succeeds and searches work as before, unindexed.
-- fastupdate = off: no pending list, which PGlite (no autovacuum) would leave to grow; the planner then shuns
-- the index. Assets are written rarely; searches are read often.
DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm; EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'pg_trgm is not available (%): q= searches read every asset', SQLERRM; END $$;
DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN CREATE INDEX assets_search_trgm ON assets USING gin ((namespace || ' ' || name || ' ' || description || ' ' || tags::text) gin_trgm_ops) WITH (fastupdate = off); END IF; END $$;
