-- bundle_indicators: a publication's indicators (weights, benchmarks, the cohort's best values) as
-- written to its bundle's indicators.parquet.
--
-- Parameters: publication_id.
SELECT seq, name, weight, benchmark_rule, benchmark_mode, benchmark, benchmark_pos, fallback, best, money, missing
FROM publication_indicators
WHERE publication_id = ?
ORDER BY seq
