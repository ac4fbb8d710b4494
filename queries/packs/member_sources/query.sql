-- member_sources: where each of a member's values came from, so that any number in a
-- ranking can be traced back to the cells that made it.
--
-- Parameters:
--   $force          VARCHAR    the force (its template has the same slug)
--   $key            VARCHAR    the member key
--   $period_months  VARCHAR[]  the months of the appraisal period
--
-- One row per indicator per month: the submission, its file, the sheet and the 1-based row
-- that held the value, and the value in hundredths.
SELECT
    r.period,
    r.submission_id,
    r.file_name,
    r.sheet,
    CAST(r.row_no AS BIGINT) AS row_no,
    v.indicator,
    CAST(v.value * 100 AS BIGINT) AS value
FROM current_rows r
JOIN current_values v USING (submission_id, row_no)
WHERE r.template = $force AND r.member_key = $key AND list_contains($period_months, r.period)
ORDER BY r.period, v.indicator
