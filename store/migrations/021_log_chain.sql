-- 021_log_chain: a hash chain over each publication's log.
--
-- The state log (publication_events), the objections and their answers
-- (objection_resolutions) are one chain per publication: chain_seq numbers a row in the
-- order it was written (1, 2, ... across the three tables), and hash is the SHA-256 of the
-- row's canonical content and the previous row's hash (the publication's own hash for row
-- 1). The hash is written in the same transaction as the row; the canonical form lives in
-- publish/hash.go (LogRowHash) and is described in publish/README.md.
--
-- Rows written before this migration get a chain_seq here (the events in log order, then
-- the objections by id, then the answers by time) and their hash on the first open by a
-- command that writes or verifies publications (publish.Service.SealLogs): SQL cannot
-- compute the canonical form, which exists once, in Go.

ALTER TABLE publication_events ADD COLUMN chain_seq INTEGER;
ALTER TABLE publication_events ADD COLUMN hash VARCHAR;
ALTER TABLE objections ADD COLUMN chain_seq INTEGER;
ALTER TABLE objections ADD COLUMN hash VARCHAR;
ALTER TABLE objection_resolutions ADD COLUMN chain_seq INTEGER;
ALTER TABLE objection_resolutions ADD COLUMN hash VARCHAR;

UPDATE publication_events SET chain_seq = seq;

UPDATE objections SET chain_seq = n.c
FROM (
    SELECT o.id,
           (SELECT count(*) FROM publication_events e WHERE e.publication_id = o.publication_id)
           + row_number() OVER (PARTITION BY o.publication_id ORDER BY o.id) AS c
    FROM objections o
) n
WHERE objections.id = n.id;

UPDATE objection_resolutions SET chain_seq = n.c
FROM (
    SELECT r.objection_id,
           (SELECT count(*) FROM publication_events e WHERE e.publication_id = o.publication_id)
           + (SELECT count(*) FROM objections x WHERE x.publication_id = o.publication_id)
           + row_number() OVER (PARTITION BY o.publication_id ORDER BY r.resolved_at, r.objection_id) AS c
    FROM objection_resolutions r
    JOIN objections o ON o.id = r.objection_id
) n
WHERE objection_resolutions.objection_id = n.objection_id;
