-- bundle_indicators: a publication's indicators (weights and the cohort's best values) as
-- written to its bundle's indicators.parquet.
--
-- Parameters: publication_id.
SELECT seq, name, weight, best, money
FROM publication_indicators
WHERE publication_id = ?
ORDER BY seq
