-- project_list: the projects of the current ledger, filtered.
--
-- Parameters:
--   $district    VARCHAR  a district code, or '' for all
--   $status      VARCHAR  谋划中, 在建 or 已完工, or '' for all
--   $lead_force  VARCHAR  a force's Chinese name (第一书记, ...), or '' for all
--   $q           VARCHAR  part of the project's number or name, or '' for all
SELECT
    r.member_key AS code,
    r.name,
    r.villages[1] AS village_code,
    coalesce(vg.name, '') AS village,
    left(r.villages[1], 6) AS district_code,
    coalesce(vg.district, '') AS district,
    r.attrs ->> '牵头力量' AS lead_force,
    CAST(v.value AS VARCHAR) AS investment_yuan,
    r.attrs ->> '状态' AS status,
    coalesce(r.attrs ->> '开工日期', '') AS start_date
FROM current_rows r
JOIN current_values v USING (submission_id, row_no)
LEFT JOIN villages vg ON vg.code = r.villages[1]
WHERE r.template = 'projects' AND v.indicator = '总投资'
  AND ($district = '' OR left(r.villages[1], 6) = $district)
  AND ($status = '' OR (r.attrs ->> '状态') = $status)
  AND ($lead_force = '' OR (r.attrs ->> '牵头力量') = $lead_force)
  AND ($q = '' OR contains(r.member_key, $q) OR contains(r.name, $q))
ORDER BY r.member_key
