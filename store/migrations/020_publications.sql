-- 020_publications: published appraisals, append-only.
--
-- A publication freezes a force's ranking for an appraisal period: its header
-- (publications), the indicators with their weights and benchmarks, every member's row in
-- rank order, and the submissions it was computed from. None of these rows is ever updated
-- or deleted: a state change is a new row of publication_events, an objection's answer a
-- new row of objection_resolutions. hash is the SHA-256 over the frozen content and
-- prev_hash, the hash of the force's previous publication ('' for the first): a chain per
-- force, checked by `qiancun publication verify`. row_hash is the SHA-256 of one member
-- row, so that verify can name an edited row. See publish/README.md for the canonical form.

CREATE SEQUENCE publication_ids START 1;

CREATE TABLE publications (
    id            BIGINT PRIMARY KEY,
    force         VARCHAR NOT NULL,
    period        VARCHAR NOT NULL,      -- YYYY-MM, YYYY-Qn or YYYY
    until         VARCHAR NOT NULL,      -- last day of 公示, YYYY-MM-DD ('' for a correction)
    created_at    TIMESTAMPTZ NOT NULL,
    created_by    VARCHAR NOT NULL,
    note          VARCHAR NOT NULL,
    corrects      BIGINT,                -- the final publication this correction supersedes
    reason        VARCHAR NOT NULL,      -- why a correction was made
    program       VARCHAR NOT NULL,      -- the program version that computed it
    rules_version VARCHAR NOT NULL,
    rules_text    VARCHAR NOT NULL,
    rules_sha256  VARCHAR NOT NULL,
    pack_sha256   VARCHAR NOT NULL,
    key_kind      VARCHAR NOT NULL,
    quota_scope   VARCHAR NOT NULL,      -- city or district: where the 优秀 quota was counted
    months        VARCHAR[] NOT NULL,
    missing       VARCHAR[] NOT NULL,    -- months with no accepted submission
    members       INTEGER NOT NULL,
    prev_hash     VARCHAR NOT NULL,
    hash          VARCHAR NOT NULL
);

CREATE TABLE publication_indicators (
    publication_id BIGINT NOT NULL,
    seq            INTEGER NOT NULL,
    name           VARCHAR NOT NULL,
    weight         VARCHAR NOT NULL,
    benchmark_rule VARCHAR NOT NULL,     -- as the rules write it: max, p80, target:20
    benchmark_mode VARCHAR NOT NULL,     -- max, percentile or target
    benchmark      VARCHAR NOT NULL,     -- the value that earned the full weight
    benchmark_pos  INTEGER NOT NULL,     -- a percentile's 1-based position; 0 otherwise
    fallback       BOOLEAN NOT NULL,     -- a percentile ≤ 0 fell back to the highest value
    best           VARCHAR NOT NULL,     -- the cohort's highest value
    money          BOOLEAN NOT NULL,
    missing        INTEGER NOT NULL      -- members with no value in a month they were present in
);

CREATE TABLE publication_members (
    publication_id BIGINT NOT NULL,
    position       INTEGER NOT NULL,     -- 1-based, rank order
    member_key     VARCHAR NOT NULL,
    name           VARCHAR NOT NULL,
    district_code  VARCHAR NOT NULL,
    district       VARCHAR NOT NULL,
    months         INTEGER NOT NULL,
    vals           DECIMAL(18, 2)[] NOT NULL,  -- per indicator, in publication_indicators order
    points         DECIMAL(18, 2)[] NOT NULL,
    total          DECIMAL(18, 2) NOT NULL,
    rank           INTEGER NOT NULL,
    district_rank  INTEGER NOT NULL,
    grade          VARCHAR NOT NULL,
    vetoed         BOOLEAN NOT NULL,
    veto_reason    VARCHAR NOT NULL,
    missing        VARCHAR[] NOT NULL,   -- indicators with no value in a month the member was present in
    row_hash       VARCHAR NOT NULL
);

CREATE TABLE publication_submissions (
    publication_id BIGINT NOT NULL,
    submission_id  BIGINT NOT NULL,
    template       VARCHAR NOT NULL,
    month          VARCHAR NOT NULL,
    sha256         VARCHAR NOT NULL      -- of the raw file
);

CREATE TABLE publication_events (
    publication_id BIGINT NOT NULL,
    seq            INTEGER NOT NULL,
    move           VARCHAR NOT NULL,     -- publish, correct, finalize, withdraw, supersede
    from_state     VARCHAR NOT NULL,
    to_state       VARCHAR NOT NULL,
    moved_at       TIMESTAMPTZ NOT NULL,
    moved_by       VARCHAR NOT NULL,
    reason         VARCHAR NOT NULL
);

CREATE SEQUENCE objection_ids START 1;

CREATE TABLE objections (
    id             BIGINT PRIMARY KEY,
    publication_id BIGINT NOT NULL,
    member_key     VARCHAR NOT NULL,
    member_name    VARCHAR NOT NULL,
    raised_by      VARCHAR NOT NULL,
    raised_at      TIMESTAMPTZ NOT NULL,
    reason         VARCHAR NOT NULL
);

CREATE TABLE objection_resolutions (
    objection_id BIGINT PRIMARY KEY,     -- one answer per objection
    resolution   VARCHAR NOT NULL,       -- 维持 or 更正
    resolved_by  VARCHAR NOT NULL,
    resolved_at  TIMESTAMPTZ NOT NULL,
    note         VARCHAR NOT NULL
);

-- The state of each publication: the destination of its latest move.
CREATE VIEW publication_states AS
SELECT publication_id, arg_max(to_state, seq) AS state
FROM publication_events
GROUP BY publication_id;
