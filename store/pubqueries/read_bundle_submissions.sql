-- read_bundle_submissions: a bundle's submissions.parquet read back.
--
-- Parameters: the file's path.
SELECT submission_id, template, month, sha256
FROM read_parquet(?)
ORDER BY month, submission_id
