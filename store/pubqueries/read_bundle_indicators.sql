-- read_bundle_indicators: a bundle's indicators.parquet read back, in order.
--
-- Parameters: the file's path.
SELECT name, weight, benchmark_rule, benchmark_mode, benchmark, benchmark_pos, fallback, best, money, missing
FROM read_parquet(?)
ORDER BY seq
