-- At most one running job per asset, enforced by the database: when two processes claim jobs of one asset
-- at the same moment, the second claim fails with a unique violation instead of running beside the first.

-- Older versions could leave two jobs of one asset running: all but the oldest go back to the queue
-- (without their dedupe key, so they cannot collide with an identical pending job). The lock keeps
-- processes still running the older version from claiming until the index exists.
LOCK TABLE jobs IN SHARE ROW EXCLUSIVE MODE;
UPDATE jobs SET state = 'pending', dedupe_key = NULL, locked_by = NULL, locked_until = NULL
WHERE state = 'running'
  AND EXISTS (SELECT 1 FROM jobs r WHERE r.asset_id = jobs.asset_id AND r.state = 'running' AND r.id < jobs.id);
CREATE UNIQUE INDEX jobs_running_by_asset ON jobs (asset_id) WHERE state = 'running';
