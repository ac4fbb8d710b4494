-- law: each 法治专员 member's indicator sums over an appraisal period.
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
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '入村服务次数') AS "入村服务次数",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '法律咨询件数') AS "法律咨询件数",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '化解矛盾纠纷件数') AS "化解矛盾纠纷件数",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '法治宣传场次') AS "法治宣传场次",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '解决实际问题数') AS "解决实际问题数"
    FROM current_values
    WHERE template = 'law' AND list_contains($period_months, period)
    GROUP BY member_key
)
SELECT
    m.member_key AS key,
    m.name,
    m.district_code,
    CAST(m.months AS BIGINT) AS months,
    CAST(m.rows AS BIGINT) AS rows,
    CAST(s."入村服务次数" AS BIGINT) AS "入村服务次数",
    CAST(s."法律咨询件数" AS BIGINT) AS "法律咨询件数",
    CAST(s."化解矛盾纠纷件数" AS BIGINT) AS "化解矛盾纠纷件数",
    CAST(s."法治宣传场次" AS BIGINT) AS "法治宣传场次",
    CAST(s."解决实际问题数" AS BIGINT) AS "解决实际问题数"
FROM cohort_members('law', $period_months) m JOIN s USING (member_key)
