-- insert_objection: an objection raised against a member of a publication.
--
-- Parameters: id, publication_id, member_key, member_name, raised_by, raised_at, reason.
INSERT INTO objections (id, publication_id, member_key, member_name, raised_by, raised_at, reason)
VALUES (?, ?, ?, ?, ?, ?, ?)
