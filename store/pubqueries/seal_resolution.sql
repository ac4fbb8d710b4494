-- seal_resolution: the chain hash of an answer written before migration 021, set once.
--
-- Parameters: hash, objection id.
UPDATE objection_resolutions SET hash = ? WHERE objection_id = ? AND hash IS NULL
