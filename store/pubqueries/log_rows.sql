-- log_rows: a publication's log chain (publish/README.md, "The log chain"): its state log,
-- its objections and their answers, in the order they were written (chain_seq). Columns
-- not used by a kind are empty; hash is '' for a row not yet sealed.
--
-- Parameters: publication_id, three times.
SELECT chain_seq, 'event' AS kind, seq, move AS what, from_state, to_state, moved_at AS at, moved_by AS by,
       reason AS text, 0 AS objection_id, '' AS member_key, '' AS member_name, coalesce(hash, '') AS hash
FROM publication_events
WHERE publication_id = ?
UNION ALL
SELECT chain_seq, 'objection', 0, '', '', '', raised_at, raised_by, reason, id, member_key, member_name, coalesce(hash, '')
FROM objections
WHERE publication_id = ?
UNION ALL
SELECT r.chain_seq, 'resolution', 0, r.resolution, '', '', r.resolved_at, r.resolved_by, r.note, r.objection_id, '', '',
       coalesce(r.hash, '')
FROM objection_resolutions r
JOIN objections o ON o.id = r.objection_id
WHERE o.publication_id = ?
ORDER BY chain_seq NULLS LAST, kind, seq, objection_id
