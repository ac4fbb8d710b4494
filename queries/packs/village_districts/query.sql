-- village_districts: per district, how many assisted villages each force reaches in the
-- period and the share of the district's villages that is; and the villages reached by all
-- seven forces. The last row (district_code '') is the whole city.
--
-- Parameters:
--   $period_months  VARCHAR[]  the months of the period
WITH reach AS (
    SELECT DISTINCT code, force FROM village_reach WHERE list_contains($period_months, period)
),
per_village AS (
    SELECT v.code, v.district_code, v.district,
           count(DISTINCT r.force) AS n,
           coalesce(bool_or(r.force = 'first_secretary'), false) AS first_secretary,
           coalesce(bool_or(r.force = 'enterprise'), false) AS enterprise,
           coalesce(bool_or(r.force = 'finance'), false) AS finance,
           coalesce(bool_or(r.force = 'law'), false) AS law,
           coalesce(bool_or(r.force = 'postal'), false) AS postal,
           coalesce(bool_or(r.force = 'tech'), false) AS tech,
           coalesce(bool_or(r.force = 'culture'), false) AS culture
    FROM villages v LEFT JOIN reach r ON r.code = v.code
    GROUP BY v.code, v.district_code, v.district
),
counts AS (
    SELECT CASE WHEN grouping(district_code) = 1 THEN '' ELSE district_code END AS district_code,
           CASE WHEN grouping(district_code) = 1 THEN '济南市' ELSE any_value(district) END AS district,
           count(*) AS villages,
           count(*) FILTER (WHERE first_secretary) AS first_secretary,
           count(*) FILTER (WHERE enterprise) AS enterprise,
           count(*) FILTER (WHERE finance) AS finance,
           count(*) FILTER (WHERE law) AS law,
           count(*) FILTER (WHERE postal) AS postal,
           count(*) FILTER (WHERE tech) AS tech,
           count(*) FILTER (WHERE culture) AS culture,
           count(*) FILTER (WHERE n = 7) AS all_seven,
           count(*) FILTER (WHERE n = 0) AS none
    FROM per_village
    GROUP BY ROLLUP (district_code)
)
SELECT district_code, district,
       CAST(villages AS BIGINT) AS villages,
       CAST(first_secretary AS BIGINT) AS first_secretary,
       CAST(enterprise AS BIGINT) AS enterprise,
       CAST(finance AS BIGINT) AS finance,
       CAST(law AS BIGINT) AS law,
       CAST(postal AS BIGINT) AS postal,
       CAST(tech AS BIGINT) AS tech,
       CAST(culture AS BIGINT) AS culture,
       CAST(all_seven AS BIGINT) AS all_seven,
       CAST(none AS BIGINT) AS none,
       printf('%.2f', 100.0 * first_secretary / villages) AS first_secretary_share,
       printf('%.2f', 100.0 * enterprise / villages) AS enterprise_share,
       printf('%.2f', 100.0 * finance / villages) AS finance_share,
       printf('%.2f', 100.0 * law / villages) AS law_share,
       printf('%.2f', 100.0 * postal / villages) AS postal_share,
       printf('%.2f', 100.0 * tech / villages) AS tech_share,
       printf('%.2f', 100.0 * culture / villages) AS culture_share,
       printf('%.2f', 100.0 * all_seven / villages) AS all_seven_share
FROM counts
ORDER BY district_code = '', district_code
