-- appraisal: the one appraisal query of every force. Each member of the force's cohort with
-- its indicator sums over the period, for the indicators the rules name: adding or renaming
-- an indicator is an edit of the template and the rules, never of this file.
--
-- Parameters:
--   $force          VARCHAR    the force; its monthly template has the same slug
--   $period_months  VARCHAR[]  the months (YYYY-MM) of the appraisal period
--   $indicators     VARCHAR[]  the indicators (standard headers), in the rules' order; at
--                              most 16 (the rules loader refuses more)
--
-- One row per member of the cohort (a row accepted in the period; see cohort_members in
-- store/migrations/003_cohort.sql for the name, district and months):
--   values  each indicator's sum in hundredths (BIGINT, exact: 12.34 元 is 1234), in the
--           order of $indicators; NULL when the member has no value for it in any month
--   short   a bit set: bit i-1 is set when indicator i has no value in some month the
--           member was present in (a month submitted before the template had the column)
--
-- The sums are one pass over the long-format facts, grouped by member only, with one
-- FILTER per slot of $indicators (a slot past its length matches nothing): far faster in
-- DuckDB than grouping by (member, indicator) and folding the groups into lists. Values
-- are made whole hundredths before they are summed, which DuckDB sums far faster than
-- DECIMAL.
WITH s AS (
    SELECT member_key,
        CAST(sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = $indicators[1]) AS BIGINT) AS v1,
        CAST(sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = $indicators[2]) AS BIGINT) AS v2,
        CAST(sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = $indicators[3]) AS BIGINT) AS v3,
        CAST(sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = $indicators[4]) AS BIGINT) AS v4,
        CAST(sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = $indicators[5]) AS BIGINT) AS v5,
        CAST(sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = $indicators[6]) AS BIGINT) AS v6,
        CAST(sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = $indicators[7]) AS BIGINT) AS v7,
        CAST(sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = $indicators[8]) AS BIGINT) AS v8,
        CAST(sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = $indicators[9]) AS BIGINT) AS v9,
        CAST(sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = $indicators[10]) AS BIGINT) AS v10,
        CAST(sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = $indicators[11]) AS BIGINT) AS v11,
        CAST(sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = $indicators[12]) AS BIGINT) AS v12,
        CAST(sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = $indicators[13]) AS BIGINT) AS v13,
        CAST(sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = $indicators[14]) AS BIGINT) AS v14,
        CAST(sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = $indicators[15]) AS BIGINT) AS v15,
        CAST(sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = $indicators[16]) AS BIGINT) AS v16,
        count(*) FILTER (WHERE indicator = $indicators[1]) AS n1,
        count(*) FILTER (WHERE indicator = $indicators[2]) AS n2,
        count(*) FILTER (WHERE indicator = $indicators[3]) AS n3,
        count(*) FILTER (WHERE indicator = $indicators[4]) AS n4,
        count(*) FILTER (WHERE indicator = $indicators[5]) AS n5,
        count(*) FILTER (WHERE indicator = $indicators[6]) AS n6,
        count(*) FILTER (WHERE indicator = $indicators[7]) AS n7,
        count(*) FILTER (WHERE indicator = $indicators[8]) AS n8,
        count(*) FILTER (WHERE indicator = $indicators[9]) AS n9,
        count(*) FILTER (WHERE indicator = $indicators[10]) AS n10,
        count(*) FILTER (WHERE indicator = $indicators[11]) AS n11,
        count(*) FILTER (WHERE indicator = $indicators[12]) AS n12,
        count(*) FILTER (WHERE indicator = $indicators[13]) AS n13,
        count(*) FILTER (WHERE indicator = $indicators[14]) AS n14,
        count(*) FILTER (WHERE indicator = $indicators[15]) AS n15,
        count(*) FILTER (WHERE indicator = $indicators[16]) AS n16
    FROM current_values
    WHERE template = $force AND list_contains($period_months, period)
    GROUP BY member_key
)
SELECT
    m.member_key AS key,
    m.name,
    m.district_code,
    CAST(m.months AS BIGINT) AS months,
    CAST(m.rows AS BIGINT) AS rows,
    list_value(
        s.v1, s.v2, s.v3, s.v4, s.v5, s.v6, s.v7, s.v8,
        s.v9, s.v10, s.v11, s.v12, s.v13, s.v14, s.v15, s.v16
    )[1:len($indicators)] AS "values",
    CAST((
        CASE WHEN coalesce(s.n1, 0) < m.months THEN 1 ELSE 0 END |
        CASE WHEN coalesce(s.n2, 0) < m.months THEN 2 ELSE 0 END |
        CASE WHEN coalesce(s.n3, 0) < m.months THEN 4 ELSE 0 END |
        CASE WHEN coalesce(s.n4, 0) < m.months THEN 8 ELSE 0 END |
        CASE WHEN coalesce(s.n5, 0) < m.months THEN 16 ELSE 0 END |
        CASE WHEN coalesce(s.n6, 0) < m.months THEN 32 ELSE 0 END |
        CASE WHEN coalesce(s.n7, 0) < m.months THEN 64 ELSE 0 END |
        CASE WHEN coalesce(s.n8, 0) < m.months THEN 128 ELSE 0 END |
        CASE WHEN coalesce(s.n9, 0) < m.months THEN 256 ELSE 0 END |
        CASE WHEN coalesce(s.n10, 0) < m.months THEN 512 ELSE 0 END |
        CASE WHEN coalesce(s.n11, 0) < m.months THEN 1024 ELSE 0 END |
        CASE WHEN coalesce(s.n12, 0) < m.months THEN 2048 ELSE 0 END |
        CASE WHEN coalesce(s.n13, 0) < m.months THEN 4096 ELSE 0 END |
        CASE WHEN coalesce(s.n14, 0) < m.months THEN 8192 ELSE 0 END |
        CASE WHEN coalesce(s.n15, 0) < m.months THEN 16384 ELSE 0 END |
        CASE WHEN coalesce(s.n16, 0) < m.months THEN 32768 ELSE 0 END
    ) & ((1 << len($indicators)) - 1) AS BIGINT) AS short
FROM cohort_members($force, $period_months) m LEFT JOIN s USING (member_key)
