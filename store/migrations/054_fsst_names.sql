-- 054_fsst_names: fact_rows.member_key and fact_rows.name are compressed with FSST, named
-- in the table, rather than chosen by DuckDB at every checkpoint. DuckDB chose FSST for
-- both anyway (a 身份证号, 统一社会信用代码 or 村代码 is a string of digits; names are short
-- and varied), after trying every method on every row group: half the cost of compressing
-- the two (about 40 ms of CPU per 200,000 rows; README, Benchmarks). DuckDB cannot change a
-- column's compression in place, so the table is made again, its rows copied in the order
-- they were.

CREATE TABLE fact_rows_054 (
    submission_id BIGINT NOT NULL,
    row_no        INTEGER NOT NULL,
    member_key    VARCHAR NOT NULL USING COMPRESSION fsst,
    name          VARCHAR NOT NULL USING COMPRESSION fsst,
    villages      VARCHAR[] NOT NULL,
    town          VARCHAR NOT NULL,
    attrs         VARCHAR NOT NULL,
    vals          DECIMAL(18, 2)[]
);
INSERT INTO fact_rows_054
SELECT submission_id, row_no, member_key, name, villages, town, attrs, vals FROM fact_rows ORDER BY rowid;
DROP TABLE fact_rows;
ALTER TABLE fact_rows_054 RENAME TO fact_rows;
