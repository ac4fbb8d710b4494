-- projects: the current projects ledger by district, lead force and status, with the total
-- investment. A project is placed in the district of its village.
--
-- Parameters:
--   $district  VARCHAR  a district code, or '' for all
SELECT
    left(r.villages[1], 6) AS district_code,
    coalesce(any_value(vg.district), '') AS district,
    r.attrs ->> '牵头力量' AS lead_force,
    r.attrs ->> '状态' AS status,
    CAST(count(*) AS BIGINT) AS projects,
    CAST(sum(v.value) AS VARCHAR) AS investment_yuan
FROM current_rows r
JOIN current_values v USING (submission_id, row_no)
LEFT JOIN villages vg ON vg.code = r.villages[1]
WHERE r.template = 'projects' AND v.indicator = '总投资'
  AND ($district = '' OR left(r.villages[1], 6) = $district)
GROUP BY ALL
ORDER BY district_code, lead_force, status
