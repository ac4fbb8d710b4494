-- 052_staged_rows: the rows of a submission being read are committed in pieces as they come
-- (so that DuckDB holds a piece, not the file, in memory), under a submission id that no
-- submissions row has yet: every reader of fact_rows joins submissions, so they count for
-- nothing until the submission itself commits. staged_submissions lists the ids being
-- written; a submission that fails deletes its rows, and Open deletes those of a process
-- that died while writing them.

CREATE TABLE staged_submissions (
    id         BIGINT PRIMARY KEY,   -- the submission id its rows carry in fact_rows
    started_at TIMESTAMPTZ NOT NULL
);
