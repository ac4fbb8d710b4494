-- 003_cohort: the members of a force's cohort in a period, for the appraisal packs.
--
-- cohort_members(tmpl, months): one row per member with a row in a current submission of
-- template tmpl for one of months (VARCHAR[]): the key; the name, and the district code of
-- the first village listed (or, for a postal commissioner, of the town), as in the member's
-- row of the latest month; the months present and the rows (a member has one row a month:
-- duplicate_key refuses more).
CREATE MACRO cohort_members(tmpl, months) AS TABLE
SELECT member_key,
       arg_max(name, period) AS name,
       arg_max(coalesce(left(villages[1], 6), left(town, 6)), period) AS district_code,
       count(*) AS months,
       count(*) AS rows
FROM current_rows
WHERE template = tmpl AND list_contains(months, period)
GROUP BY member_key;
