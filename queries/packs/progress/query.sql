-- progress: the programme's totals in a period, per district and for the whole city
-- (district_code ''), one row per metric. The engine sets the city's totals against the
-- targets of the rules file.
--
-- Parameters:
--   $period_months  VARCHAR[]  the months of the period
--
-- Metrics: villages (assisted villages in the registry); villages_reached (reached by at
-- least one force); members:<force> (members with an accepted row in the period, placed in
-- the district of their latest row's first village or town); funds_yuan (协调资金 of first
-- secretaries summed over the period); projects and project_investment_yuan (the current
-- projects ledger, placed by the project's village).
WITH mem AS (
    SELECT template AS force, member_key,
           arg_max(CASE WHEN template = 'postal' THEN left(town, 6) ELSE left(villages[1], 6) END, period) AS district_code
    FROM current_rows
    WHERE template NOT IN ('villages', 'projects') AND list_contains($period_months, period)
    GROUP BY template, member_key
),
funds AS (
    SELECT left(r.villages[1], 6) AS district_code, v.value
    FROM current_rows r JOIN current_values v USING (submission_id, row_no)
    WHERE r.template = 'first_secretary' AND v.indicator = '协调资金' AND list_contains($period_months, r.period)
),
ledger AS (
    SELECT left(r.villages[1], 6) AS district_code, v.value
    FROM current_rows r JOIN current_values v USING (submission_id, row_no)
    WHERE r.template = 'projects' AND v.indicator = '总投资'
),
facts AS (
    SELECT 'villages' AS metric, district_code, CAST(count(*) AS VARCHAR) AS actual
    FROM villages GROUP BY ROLLUP (district_code)
    UNION ALL
    SELECT 'villages_reached', v.district_code, CAST(count(DISTINCT v.code) AS VARCHAR)
    FROM villages v JOIN village_reach r ON r.code = v.code AND list_contains($period_months, r.period)
    GROUP BY ROLLUP (v.district_code)
    UNION ALL
    SELECT 'members:' || force, district_code, CAST(count(*) AS VARCHAR)
    FROM mem GROUP BY force, ROLLUP (district_code)
    UNION ALL
    SELECT 'funds_yuan', district_code, CAST(sum(value) AS VARCHAR)
    FROM funds GROUP BY ROLLUP (district_code)
    UNION ALL
    SELECT 'projects', district_code, CAST(count(*) AS VARCHAR)
    FROM ledger GROUP BY ROLLUP (district_code)
    UNION ALL
    SELECT 'project_investment_yuan', district_code, CAST(sum(value) AS VARCHAR)
    FROM ledger GROUP BY ROLLUP (district_code)
),
names AS (SELECT DISTINCT district_code, district FROM villages)
SELECT coalesce(f.district_code, '') AS district_code,
       coalesce(n.district, '济南市') AS district,
       f.metric,
       f.actual
FROM facts f LEFT JOIN names n ON n.district_code = f.district_code
ORDER BY f.district_code IS NOT NULL, f.district_code, f.metric
