-- seal_event: the chain hash of a state-log row written before migration 021, set once.
--
-- Parameters: hash, publication_id, chain_seq.
UPDATE publication_events SET hash = ? WHERE publication_id = ? AND chain_seq = ? AND hash IS NULL
