-- indicators: a publication's indicators in order.
--
-- Parameters: publication_id.
SELECT name, weight, benchmark_rule, benchmark_mode, benchmark, benchmark_pos, fallback, best, money, missing
FROM publication_indicators
WHERE publication_id = ?
ORDER BY seq
