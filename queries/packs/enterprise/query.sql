-- enterprise: each 企业团体 member's indicator sums over an appraisal period.
--
-- Parameters:
--   $period_months  VARCHAR[]  the months (YYYY-MM) of the appraisal period
--
-- One row per member with at least one accepted row in the period (the cohort): the member
-- key, the name and the district code of the first village listed in the member's row of the latest month
-- in which the member appears, the number of months present, the number of rows, and each
-- indicator summed over the months, in hundredths (BIGINT, exact: 12.34 元 is 1234).
WITH r AS (
    SELECT submission_id, row_no, period, member_key, name, villages, town
    FROM current_rows
    WHERE template = 'enterprise' AND list_contains($period_months, period)
),
v AS (
    SELECT submission_id, row_no, indicator, value
    FROM current_values
    WHERE template = 'enterprise' AND list_contains($period_months, period)
)
SELECT
    r.member_key AS key,
    arg_max(r.name, r.period) AS name,
    arg_max(left(r.villages[1], 6), r.period) AS district_code,
    CAST(count(DISTINCT r.period) AS BIGINT) AS months,
    CAST(count(DISTINCT (r.submission_id, r.row_no)) AS BIGINT) AS rows,
    CAST(sum(v.value) FILTER (WHERE v.indicator = '投入资金') * 100 AS BIGINT) AS "投入资金",
    CAST(sum(v.value) FILTER (WHERE v.indicator = '实施项目数') * 100 AS BIGINT) AS "实施项目数",
    CAST(sum(v.value) FILTER (WHERE v.indicator = '带动就业人数') * 100 AS BIGINT) AS "带动就业人数",
    CAST(sum(v.value) FILTER (WHERE v.indicator = '采购销售农产品金额') * 100 AS BIGINT) AS "采购销售农产品金额",
    CAST(sum(v.value) FILTER (WHERE v.indicator = '村集体增收') * 100 AS BIGINT) AS "村集体增收"
FROM r JOIN v USING (submission_id, row_no)
GROUP BY r.member_key
ORDER BY r.member_key
