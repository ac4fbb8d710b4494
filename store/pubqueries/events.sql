-- events: a publication's state log, oldest first.
--
-- Parameters: publication_id.
SELECT move, from_state, to_state, moved_at, moved_by, reason
FROM publication_events
WHERE publication_id = ?
ORDER BY seq
