-- appraisal: the one appraisal query of every force. Each member of the force's cohort with
-- its indicator sums over the period, for the indicators the rules name: adding or renaming
-- an indicator is an edit of the template and the rules, never of this file.
--
-- Parameters:
--   $force          VARCHAR    the force; its monthly template has the same slug
--   $period_months  VARCHAR[]  the months (YYYY-MM) of the appraisal period
--   $indicators     VARCHAR[]  the indicators (standard headers), in the rules' order
--
-- One row per member of the cohort (a row accepted in the period; see cohort_members in
-- store/migrations/003_cohort.sql for the name, district and months). values holds each
-- indicator's sum in hundredths (BIGINT, exact: 12.34 元 is 1234), in the order of
-- $indicators, NULL when the member has no value for it in any month; short lists the
-- 1-based positions of the indicators with no value in a month the member was present in
-- (a month submitted before the template had the column). Values are made whole
-- hundredths before they are summed, which DuckDB sums far faster than DECIMAL.
WITH v AS (
    SELECT member_key,
           list_position($indicators, indicator) AS pos,
           CAST(sum(CAST(value * 100 AS BIGINT)) AS BIGINT) AS total,
           count(*) AS n
    FROM current_values
    WHERE template = $force AND list_contains($period_months, period)
      AND list_contains($indicators, indicator)
    GROUP BY member_key, indicator
), w AS (
    SELECT member_key, list(pos ORDER BY pos) AS pos, list(total ORDER BY pos) AS total, list(n ORDER BY pos) AS n
    FROM v
    GROUP BY member_key
)
SELECT
    m.member_key AS key,
    m.name,
    m.district_code,
    CAST(m.months AS BIGINT) AS months,
    CAST(m.rows AS BIGINT) AS rows,
    list_transform(range(1, len($indicators) + 1),
        lambda j: w.total[coalesce(list_position(w.pos, j), 0)]) AS "values",
    list_filter(range(1, len($indicators) + 1),
        lambda j: coalesce(w.n[coalesce(list_position(w.pos, j), 0)], 0) < m.months) AS short
FROM cohort_members($force, $period_months) m LEFT JOIN w USING (member_key)
