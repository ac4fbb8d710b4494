-- append_event: a move appended to a publication's state log, numbered after the last,
-- with its place in the publication's log chain and its chain hash.
--
-- Parameters: 1 publication_id, 2 move, 3 from_state, 4 to_state, 5 moved_at, 6 moved_by,
-- 7 reason, 8 chain_seq, 9 hash, 10 publication_id again.
INSERT INTO publication_events (publication_id, seq, move, from_state, to_state, moved_at, moved_by, reason, chain_seq, hash)
SELECT ?, coalesce(max(seq), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?
FROM publication_events
WHERE publication_id = ?
