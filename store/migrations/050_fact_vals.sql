-- 050_fact_vals: a fact row's values are stored once per row, as a list beside the row,
-- instead of one fact_values row per value. A national file of 200,000 rows and 7
-- indicators was 1.4 million fact_values rows, which DuckDB held in the submission's
-- transaction and inserted at commit: most of the ingest's time and memory above reading
-- the file (README, Benchmarks).
--
-- submissions.indicators names the values of its rows, in order (the template's
-- indicators, recorded with the submission); fact_rows.vals holds them, in hundredths as
-- before. Both are NULL for a submission without indicators. fact_values becomes a view
-- with the same columns, so every reader stays as it was.
--
-- Submissions stored before this migration get their indicators in name order (their
-- template order is not recorded), which the view makes no difference to.

ALTER TABLE submissions ADD COLUMN indicators VARCHAR[];
ALTER TABLE fact_rows ADD COLUMN vals DECIMAL(18, 2)[];

UPDATE submissions SET indicators = t.inds
FROM (SELECT submission_id, list(DISTINCT indicator ORDER BY indicator) AS inds
      FROM fact_values GROUP BY submission_id) t
WHERE submissions.id = t.submission_id;

-- A value a row lacks (none does: the store wrote every indicator of every row) would be
-- NULL in the list, and the view leaves it out.
UPDATE fact_rows SET vals = t.vals
FROM (SELECT r.submission_id, r.row_no, list(v.value ORDER BY i.k) AS vals
      FROM fact_rows r
      JOIN (SELECT id, unnest(indicators) AS indicator, generate_subscripts(indicators, 1) AS k
            FROM submissions WHERE indicators IS NOT NULL) i ON i.id = r.submission_id
      LEFT JOIN fact_values v
        ON v.submission_id = r.submission_id AND v.row_no = r.row_no AND v.indicator = i.indicator
      GROUP BY r.submission_id, r.row_no) t
WHERE fact_rows.submission_id = t.submission_id AND fact_rows.row_no = t.row_no;

DROP TABLE fact_values;

-- One row per value, as the table had: indicator k of a submission with value k of a row.
CREATE VIEW fact_values AS
SELECT submission_id, row_no, member_key, indicator, value
FROM (SELECT r.submission_id, r.row_no, r.member_key,
             unnest(s.indicators) AS indicator, unnest(r.vals) AS value
      FROM fact_rows r JOIN submissions s ON s.id = r.submission_id
      WHERE r.vals IS NOT NULL)
WHERE value IS NOT NULL;

CREATE OR REPLACE VIEW current_values AS
SELECT template, kind, period, submission_id, row_no, member_key, indicator, value
FROM (SELECT s.template, s.kind, s.period, r.submission_id, r.row_no, r.member_key,
             unnest(s.indicators) AS indicator, unnest(r.vals) AS value
      FROM fact_rows r JOIN submissions s ON s.id = r.submission_id
      WHERE s.current AND r.vals IS NOT NULL)
WHERE value IS NOT NULL;
