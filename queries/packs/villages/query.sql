-- villages: for each assisted village, which of the seven forces reach it in the period
-- (postal reaches every village of its town), and how many forces that is.
--
-- Parameters:
--   $period_months  VARCHAR[]  the months of the period
--   $district       VARCHAR    a district code, or '' for all
--   $covered_by     VARCHAR    a force slug: only the villages it reaches; '' for all
WITH reach AS (
    SELECT DISTINCT code, force FROM village_reach WHERE list_contains($period_months, period)
)
SELECT
    v.code,
    v.name,
    v.district_code,
    v.district,
    v.town_code,
    v.town,
    v.zone,
    list_sort(list(DISTINCT r.force) FILTER (WHERE r.force IS NOT NULL)) AS forces,
    CAST(count(DISTINCT r.force) AS BIGINT) AS force_count,
    coalesce(bool_or(r.force = 'first_secretary'), false) AS first_secretary,
    coalesce(bool_or(r.force = 'enterprise'), false) AS enterprise,
    coalesce(bool_or(r.force = 'finance'), false) AS finance,
    coalesce(bool_or(r.force = 'law'), false) AS law,
    coalesce(bool_or(r.force = 'postal'), false) AS postal,
    coalesce(bool_or(r.force = 'tech'), false) AS tech,
    coalesce(bool_or(r.force = 'culture'), false) AS culture
FROM villages v
LEFT JOIN reach r ON r.code = v.code
WHERE $district = '' OR v.district_code = $district
GROUP BY v.code, v.name, v.district_code, v.district, v.town_code, v.town, v.zone
HAVING $covered_by = '' OR coalesce(bool_or(r.force = $covered_by), false)
ORDER BY v.code
