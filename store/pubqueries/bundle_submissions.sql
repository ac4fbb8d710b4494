-- bundle_submissions: the submissions a publication used, as written to its bundle's
-- submissions.parquet.
--
-- Parameters: publication_id.
SELECT submission_id, template, month, sha256
FROM publication_submissions
WHERE publication_id = ?
ORDER BY month, submission_id
