-- postal: each 邮政专员 member's indicator sums over an appraisal period.
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
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '农产品寄递金额') AS "农产品寄递金额",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '助农销售额') AS "助农销售额",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '协助融资金额') AS "协助融资金额",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '直播带货场次') AS "直播带货场次"
    FROM current_values
    WHERE template = 'postal' AND list_contains($period_months, period)
    GROUP BY member_key
)
SELECT
    m.member_key AS key,
    m.name,
    m.district_code,
    CAST(m.months AS BIGINT) AS months,
    CAST(m.rows AS BIGINT) AS rows,
    CAST(s."农产品寄递金额" AS BIGINT) AS "农产品寄递金额",
    CAST(s."助农销售额" AS BIGINT) AS "助农销售额",
    CAST(s."协助融资金额" AS BIGINT) AS "协助融资金额",
    CAST(s."直播带货场次" AS BIGINT) AS "直播带货场次"
FROM cohort_members('postal', $period_months) m JOIN s USING (member_key)
