-- used_submissions: the submissions that count now for a template in some months, what a
-- ranking computed on the same snapshot reads.
--
-- Parameters: 1 template (VARCHAR), 2 months (VARCHAR[] of YYYY-MM).
SELECT id, template, period, sha256
FROM submissions
WHERE current AND template = ? AND list_contains(?::VARCHAR[], period)
ORDER BY period, id
