-- finance: each 金融专员 member's indicator sums over an appraisal period.
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
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '发放贷款金额') AS "发放贷款金额",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '授信农户数') AS "授信农户数",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '金融知识宣传场次') AS "金融知识宣传场次",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '新增开户数') AS "新增开户数"
    FROM current_values
    WHERE template = 'finance' AND list_contains($period_months, period)
    GROUP BY member_key
)
SELECT
    m.member_key AS key,
    m.name,
    m.district_code,
    CAST(m.months AS BIGINT) AS months,
    CAST(m.rows AS BIGINT) AS rows,
    CAST(s."发放贷款金额" AS BIGINT) AS "发放贷款金额",
    CAST(s."授信农户数" AS BIGINT) AS "授信农户数",
    CAST(s."金融知识宣传场次" AS BIGINT) AS "金融知识宣传场次",
    CAST(s."新增开户数" AS BIGINT) AS "新增开户数"
FROM cohort_members('finance', $period_months) m JOIN s USING (member_key)
