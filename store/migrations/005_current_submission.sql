-- 005_current_submission: the database itself keeps one current submission per (template,
-- period).
--
-- A submission that counts writes its (template, period) row here in the same transaction
-- as everything else: an insert when it is the first, an update of the row when it replaces
-- one. Two submissions of the same (template, period) committed at once therefore touch the
-- same key, and DuckDB lets only one of them commit; the other is rolled back whole and
-- started again by the ingester, after the winner (store.Tx.Commit returns ErrConflict).
-- submissions.current stays, for the views, and always agrees with this table.
CREATE TABLE current_submission (
    template      VARCHAR NOT NULL,
    period        VARCHAR NOT NULL,   -- YYYY-MM; '' for the registry and the ledger
    submission_id BIGINT NOT NULL,
    PRIMARY KEY (template, period)
);

-- Before this table, two uploads racing could both become current: keep the latest.
INSERT INTO current_submission
SELECT template, period, max(id) FROM submissions WHERE current GROUP BY template, period;

UPDATE submissions SET current = false
WHERE current AND id NOT IN (SELECT submission_id FROM current_submission);
