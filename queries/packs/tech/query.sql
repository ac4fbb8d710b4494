-- tech: each 科技顾问 member's indicator sums over an appraisal period.
--
-- Parameters:
--   $period_months  VARCHAR[]  the months (YYYY-MM) of the appraisal period
--
-- One row per member of the cohort (a row accepted in the period; see cohort_members in
-- store/migrations/003_cohort.sql for the name, district and months), and each indicator
-- summed over the months in hundredths (BIGINT, exact: 12.34 元 is 1234). Values are made
-- whole hundredths before they are summed, which DuckDB sums far faster than DECIMAL.
WITH s AS (
    SELECT member_key,
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '技术培训场次') AS "技术培训场次",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '培训人次') AS "培训人次",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '引进推广技术数') AS "引进推广技术数",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '指导项目数') AS "指导项目数"
    FROM current_values
    WHERE template = 'tech' AND list_contains($period_months, period)
    GROUP BY member_key
)
SELECT
    m.member_key AS key,
    m.name,
    m.district_code,
    CAST(m.months AS BIGINT) AS months,
    CAST(m.rows AS BIGINT) AS rows,
    CAST(s."技术培训场次" AS BIGINT) AS "技术培训场次",
    CAST(s."培训人次" AS BIGINT) AS "培训人次",
    CAST(s."引进推广技术数" AS BIGINT) AS "引进推广技术数",
    CAST(s."指导项目数" AS BIGINT) AS "指导项目数"
FROM cohort_members('tech', $period_months) m JOIN s USING (member_key)
