-- tech: each 科技顾问 member's indicator sums over an appraisal period.
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
    WHERE template = 'tech' AND list_contains($period_months, period)
),
v AS (
    SELECT submission_id, row_no, indicator, value
    FROM current_values
    WHERE template = 'tech' AND list_contains($period_months, period)
)
SELECT
    r.member_key AS key,
    arg_max(r.name, r.period) AS name,
    arg_max(left(r.villages[1], 6), r.period) AS district_code,
    CAST(count(DISTINCT r.period) AS BIGINT) AS months,
    CAST(count(DISTINCT (r.submission_id, r.row_no)) AS BIGINT) AS rows,
    CAST(sum(v.value) FILTER (WHERE v.indicator = '技术培训场次') * 100 AS BIGINT) AS "技术培训场次",
    CAST(sum(v.value) FILTER (WHERE v.indicator = '培训人次') * 100 AS BIGINT) AS "培训人次",
    CAST(sum(v.value) FILTER (WHERE v.indicator = '引进推广技术数') * 100 AS BIGINT) AS "引进推广技术数",
    CAST(sum(v.value) FILTER (WHERE v.indicator = '指导项目数') * 100 AS BIGINT) AS "指导项目数"
FROM r JOIN v USING (submission_id, row_no)
GROUP BY r.member_key
ORDER BY r.member_key
