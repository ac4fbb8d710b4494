-- 002_reach: which forces reach which village in which month.
--
-- A force reaches the villages listed in its members' rows; a postal commissioner reaches
-- every assisted village of the town given (联镇带村). Only current submissions count.
CREATE VIEW village_reach AS
SELECT DISTINCT period, template AS force, unnest(villages) AS code
FROM current_rows
WHERE template NOT IN ('villages', 'projects', 'postal')
UNION
SELECT DISTINCT r.period, 'postal' AS force, v.code
FROM current_rows r JOIN villages v ON v.town_code = r.town
WHERE r.template = 'postal';
