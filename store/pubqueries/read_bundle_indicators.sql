-- read_bundle_indicators: a bundle's indicators.parquet read back, in order.
--
-- Parameters: the file's path.
SELECT name, weight, best, money
FROM read_parquet(?)
ORDER BY seq
