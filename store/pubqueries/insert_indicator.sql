-- insert_indicator: one indicator of a publication.
--
-- Parameters: publication_id, seq (1-based), name, weight, best, money.
INSERT INTO publication_indicators (publication_id, seq, name, weight, best, money)
VALUES (?, ?, ?, ?, ?, ?)
