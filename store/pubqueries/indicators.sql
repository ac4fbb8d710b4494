-- indicators: a publication's indicators in order.
--
-- Parameters: publication_id.
SELECT name, weight, best, money
FROM publication_indicators
WHERE publication_id = ?
ORDER BY seq
