-- Fencing and crash-loop protection for jobs.

-- Every claim of a job takes the next lease number. A holder writes only while the job is still running
-- under its own (holder, lease): a process that paused past its lease, and whose job another process
-- claimed meanwhile, finds its lease gone and stops without writing.
ALTER TABLE jobs ADD COLUMN lease INTEGER NOT NULL DEFAULT 0;

-- The version a job is ingesting right now, with what it is ingesting (commit and fingerprint). When the
-- job ends without finishing that version (abandoned after crashes, deadline, failure), the version gets
-- the job's coded error instead of staying pending without one.
ALTER TABLE versions ADD COLUMN ingesting_job INTEGER;
ALTER TABLE versions ADD COLUMN ingesting_fingerprint TEXT;
ALTER TABLE versions ADD COLUMN ingesting_commit TEXT;
CREATE INDEX versions_ingesting ON versions (ingesting_job) WHERE ingesting_job IS NOT NULL;
