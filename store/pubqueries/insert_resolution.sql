-- insert_resolution: the answer to an objection; its primary key allows one. With its
-- place in the publication's log chain and its chain hash.
--
-- Parameters: objection_id, resolution (维持 or 更正), resolved_by, resolved_at, note,
-- chain_seq, hash.
INSERT INTO objection_resolutions (objection_id, resolution, resolved_by, resolved_at, note, chain_seq, hash)
VALUES (?, ?, ?, ?, ?, ?, ?)
