-- 004_template_kind: each submission records the kind of its template (monthly, registry or
-- ledger, as declared in the template's `kind`), and the views select the registry, the
-- ledger and the forces' members by kind, never by a template's name.
--
-- The submissions stored before this migration get the kinds their templates were declared
-- with when they were stored: the only registry template was `villages` and the only
-- ledger `projects`. From now on the store writes the kind given by the template itself,
-- so a renamed or added template needs no change here.

ALTER TABLE submissions ADD COLUMN kind VARCHAR DEFAULT '';   -- '' for a file whose template is unknown

UPDATE submissions SET kind = CASE
    WHEN template = '' THEN ''
    WHEN template = 'villages' THEN 'registry'
    WHEN template = 'projects' THEN 'ledger'
    ELSE 'monthly' END;

-- The facts that count now, with their template, its kind and their period.
CREATE OR REPLACE VIEW current_rows AS
SELECT s.template, s.kind, s.period, s.id AS submission_id, s.file_name, s.sheet,
       r.row_no, r.member_key, r.name, r.villages, r.town, r.attrs
FROM fact_rows r JOIN submissions s ON s.id = r.submission_id
WHERE s.current;

CREATE OR REPLACE VIEW current_values AS
SELECT s.template, s.kind, s.period, v.submission_id, v.row_no, v.member_key, v.indicator, v.value
FROM fact_values v JOIN submissions s ON s.id = v.submission_id
WHERE s.current;

-- The assisted villages of the current registry.
CREATE OR REPLACE VIEW villages AS
SELECT member_key                         AS code,
       left(member_key, 6)                AS district_code,
       attrs ->> '区县'                    AS district,
       left(member_key, 9)                AS town_code,
       attrs ->> '镇街'                    AS town,
       name,
       coalesce(attrs ->> '管理主体', '')   AS zone
FROM current_rows
WHERE kind = 'registry';

-- The members of each force: everyone with a row in a monthly submission that counts now,
-- named as in their latest month.
CREATE OR REPLACE VIEW members AS
SELECT s.template                 AS force,
       r.member_key,
       arg_max(r.name, s.period)  AS name,
       min(s.period)              AS first_period,
       max(s.period)              AS last_period
FROM fact_rows r JOIN submissions s ON s.id = r.submission_id
WHERE s.current AND s.kind = 'monthly'
GROUP BY s.template, r.member_key;

-- Which forces reach which village in which month: the villages listed in a member's row,
-- and every assisted village of the town a row gives (a postal commissioner's 联镇带村).
CREATE OR REPLACE VIEW village_reach AS
SELECT DISTINCT period, template AS force, unnest(villages) AS code
FROM current_rows
WHERE kind = 'monthly'
UNION
SELECT DISTINCT r.period, r.template AS force, v.code
FROM current_rows r JOIN villages v ON v.town_code = r.town
WHERE r.kind = 'monthly' AND r.town <> '';
