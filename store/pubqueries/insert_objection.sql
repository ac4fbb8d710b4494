-- insert_objection: an objection raised against a member of a publication, with its place
-- in the publication's log chain and its chain hash.
--
-- Parameters: id, publication_id, member_key, member_name, raised_by, raised_at, reason,
-- chain_seq, hash.
INSERT INTO objections (id, publication_id, member_key, member_name, raised_by, raised_at, reason, chain_seq, hash)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
