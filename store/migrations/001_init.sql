-- 001_init: the tables of submissions, raw files, facts and receipts, and the views of what
-- counts now.
--
-- Every file is kept as received in raw_files, keyed by its SHA-256. A submission is one
-- file read as one (template, period); the one that counts for its (template, period) has
-- current = true, the ones it replaced stay in the history. Facts are kept per submission:
-- one fact_rows row per data row, one fact_values row per numeric cell, all as DECIMAL in
-- hundredths (元 to the fen, counts exactly).

CREATE TABLE raw_files (
    sha256      VARCHAR PRIMARY KEY,
    size        BIGINT NOT NULL,
    first_name  VARCHAR NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    content     BLOB NOT NULL
);

CREATE SEQUENCE submission_ids START 1;

CREATE TABLE submissions (
    id               BIGINT PRIMARY KEY,
    template         VARCHAR NOT NULL,
    period           VARCHAR NOT NULL,   -- YYYY-MM; '' for the registry and the ledger
    file_name        VARCHAR NOT NULL,
    sha256           VARCHAR NOT NULL,
    sheet            VARCHAR NOT NULL,
    status           VARCHAR NOT NULL,   -- accepted, partial, rejected
    rows_found       INTEGER NOT NULL,
    rows_accepted    INTEGER NOT NULL,
    rows_quarantined INTEGER NOT NULL,
    errors           INTEGER NOT NULL,
    warnings         INTEGER NOT NULL,
    uploader         VARCHAR NOT NULL,
    received_at      TIMESTAMPTZ NOT NULL,
    replaces         BIGINT,             -- the submission this one superseded
    current          BOOLEAN NOT NULL    -- counts in every KPI now
);

CREATE TABLE receipt_issues (
    submission_id BIGINT NOT NULL,
    seq           INTEGER NOT NULL,
    sheet         VARCHAR NOT NULL,
    cell          VARCHAR NOT NULL,
    column_name   VARCHAR NOT NULL,
    value         VARCHAR NOT NULL,      -- as found; a 身份证号 is stored masked
    rule          VARCHAR NOT NULL,
    severity      VARCHAR NOT NULL,
    message       VARCHAR NOT NULL
);

CREATE TABLE fact_rows (
    submission_id BIGINT NOT NULL,
    row_no        INTEGER NOT NULL,      -- 1-based row in the sheet
    member_key    VARCHAR NOT NULL,      -- 身份证号, 统一社会信用代码, 村代码 or 项目编号
    name          VARCHAR NOT NULL,
    villages      VARCHAR[] NOT NULL,    -- village codes, in the order given
    town          VARCHAR NOT NULL,      -- 9-digit town code (postal), else ''
    attrs         JSON NOT NULL          -- the other columns by standard header
);

CREATE TABLE fact_values (
    submission_id BIGINT NOT NULL,
    row_no        INTEGER NOT NULL,
    member_key    VARCHAR NOT NULL,      -- as in fact_rows: sums per member need no join
    indicator     VARCHAR NOT NULL,      -- the column's standard header
    value         DECIMAL(18, 2) NOT NULL
);

CREATE TABLE quarantine (
    submission_id BIGINT NOT NULL,
    row_no        INTEGER NOT NULL,
    cells         JSON NOT NULL          -- the row's cells as read, A first
);

-- The facts that count now, with their template and period.
CREATE VIEW current_rows AS
SELECT s.template, s.period, s.id AS submission_id, s.file_name, s.sheet,
       r.row_no, r.member_key, r.name, r.villages, r.town, r.attrs
FROM fact_rows r JOIN submissions s ON s.id = r.submission_id
WHERE s.current;

CREATE VIEW current_values AS
SELECT s.template, s.period, v.submission_id, v.row_no, v.member_key, v.indicator, v.value
FROM fact_values v JOIN submissions s ON s.id = v.submission_id
WHERE s.current;

-- The assisted villages of the current registry.
CREATE VIEW villages AS
SELECT member_key                         AS code,
       left(member_key, 6)                AS district_code,
       attrs ->> '区县'                    AS district,
       left(member_key, 9)                AS town_code,
       attrs ->> '镇街'                    AS town,
       name,
       coalesce(attrs ->> '管理主体', '')   AS zone
FROM current_rows
WHERE template = 'villages';

-- The members of each force: everyone with a row in a submission that counts now, named as
-- in their latest month. Derived, so that it can never disagree with the facts.
CREATE VIEW members AS
SELECT s.template                 AS force,
       r.member_key,
       arg_max(r.name, s.period)  AS name,
       min(s.period)              AS first_period,
       max(s.period)              AS last_period
FROM fact_rows r JOIN submissions s ON s.id = r.submission_id
WHERE s.current AND s.template NOT IN ('villages', 'projects')
GROUP BY s.template, r.member_key;
