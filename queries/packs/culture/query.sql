-- culture: each 文化顾问 member's indicator sums over an appraisal period.
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
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '文化活动场次') AS "文化活动场次",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '参与群众人次') AS "参与群众人次",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '培养文艺骨干人数') AS "培养文艺骨干人数",
        sum(CAST(value * 100 AS BIGINT)) FILTER (WHERE indicator = '打造文化品牌数') AS "打造文化品牌数"
    FROM current_values
    WHERE template = 'culture' AND list_contains($period_months, period)
    GROUP BY member_key
)
SELECT
    m.member_key AS key,
    m.name,
    m.district_code,
    CAST(m.months AS BIGINT) AS months,
    CAST(m.rows AS BIGINT) AS rows,
    CAST(s."文化活动场次" AS BIGINT) AS "文化活动场次",
    CAST(s."参与群众人次" AS BIGINT) AS "参与群众人次",
    CAST(s."培养文艺骨干人数" AS BIGINT) AS "培养文艺骨干人数",
    CAST(s."打造文化品牌数" AS BIGINT) AS "打造文化品牌数"
FROM cohort_members('culture', $period_months) m JOIN s USING (member_key)
