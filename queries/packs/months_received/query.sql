-- months_received: for each template and each month of a period, the submission that counts
-- now, if any. A month without one is missing, not zero.
--
-- Parameters:
--   $period_months  VARCHAR[]  the months of the period
--
-- One row per (template, month) that has a current accepted or partial submission.
SELECT
    template,
    period,
    id AS submission_id,
    file_name,
    status,
    CAST(rows_accepted AS BIGINT) AS rows_accepted,
    received_at::VARCHAR AS received_at
FROM submissions
WHERE current AND list_contains($period_months, period)
ORDER BY template, period
