-- insert_used: one submission a publication was computed from.
--
-- Parameters: publication_id, submission_id, template, month, sha256 (of the raw file).
INSERT INTO publication_submissions (publication_id, submission_id, template, month, sha256)
VALUES (?, ?, ?, ?, ?)
