-- Assets loaded by `bonsai registry import` from a static mirror: their data comes from the mirror, not GitHub,
-- so the poller and sync leave them alone (an air-gapped site cannot reach GitHub, and a sync would mark the
-- imported versions removed). NULL for assets synced from GitHub; else the mirror's base URL.
ALTER TABLE assets ADD COLUMN imported_from TEXT;
