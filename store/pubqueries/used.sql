-- used: the submissions a publication was computed from.
--
-- Parameters: publication_id.
SELECT submission_id, template, month, sha256
FROM publication_submissions
WHERE publication_id = ?
ORDER BY month, submission_id
