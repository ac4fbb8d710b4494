-- first_secretary: each 第一书记 member's indicator sums over an appraisal period.
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
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '驻村天数') AS "驻村天数",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '走访农户数') AS "走访农户数",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '协调资金') AS "协调资金",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '实施项目数') AS "实施项目数",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '村集体增收') AS "村集体增收",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '办实事数') AS "办实事数",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '化解矛盾纠纷数') AS "化解矛盾纠纷数"
    FROM current_values
    WHERE template = 'first_secretary' AND list_contains($period_months, period)
    GROUP BY member_key
)
SELECT
    m.member_key AS key,
    m.name,
    m.district_code,
    CAST(m.months AS BIGINT) AS months,
    CAST(m.rows AS BIGINT) AS rows,
    CAST(s."驻村天数" AS BIGINT) AS "驻村天数",
    CAST(s."走访农户数" AS BIGINT) AS "走访农户数",
    CAST(s."协调资金" AS BIGINT) AS "协调资金",
    CAST(s."实施项目数" AS BIGINT) AS "实施项目数",
    CAST(s."村集体增收" AS BIGINT) AS "村集体增收",
    CAST(s."办实事数" AS BIGINT) AS "办实事数",
    CAST(s."化解矛盾纠纷数" AS BIGINT) AS "化解矛盾纠纷数"
FROM cohort_members('first_secretary', $period_months) m JOIN s USING (member_key)
