-- template_status: per template that ever had a submission accepted (wholly or partly),
-- the latest month that counts now ('' for the registry and the ledger) and when the latest
-- such submission was received, in Unix milliseconds. The metrics read it: the reporting
-- month is the latest month of any template, and the last-accepted gauges are seeded from it
-- when the server starts.
--
-- Parameters: none.
SELECT
    template,
    coalesce(max(period) FILTER (WHERE current AND period <> ''), '') AS last_month,
    CAST(epoch_ms(max(received_at)) AS BIGINT) AS last_accepted_ms
FROM submissions
WHERE status IN ('accepted', 'partial')
GROUP BY template
ORDER BY template
