-- enterprise: each 企业团体 member's indicator sums over an appraisal period.
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
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '投入资金') AS "投入资金",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '实施项目数') AS "实施项目数",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '带动就业人数') AS "带动就业人数",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '采购销售农产品金额') AS "采购销售农产品金额",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '村集体增收') AS "村集体增收"
    FROM current_values
    WHERE template = 'enterprise' AND list_contains($period_months, period)
    GROUP BY member_key
)
SELECT
    m.member_key AS key,
    m.name,
    m.district_code,
    CAST(m.months AS BIGINT) AS months,
    CAST(m.rows AS BIGINT) AS rows,
    CAST(s."投入资金" AS BIGINT) AS "投入资金",
    CAST(s."实施项目数" AS BIGINT) AS "实施项目数",
    CAST(s."带动就业人数" AS BIGINT) AS "带动就业人数",
    CAST(s."采购销售农产品金额" AS BIGINT) AS "采购销售农产品金额",
    CAST(s."村集体增收" AS BIGINT) AS "村集体增收"
FROM cohort_members('enterprise', $period_months) m JOIN s USING (member_key)
