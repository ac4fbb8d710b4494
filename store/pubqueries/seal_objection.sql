-- seal_objection: the chain hash of an objection written before migration 021, set once.
--
-- Parameters: hash, objection id.
UPDATE objections SET hash = ? WHERE id = ? AND hash IS NULL
