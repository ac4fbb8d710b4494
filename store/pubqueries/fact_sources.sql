-- fact_sources: one member's values in some submissions (current or not), with the file,
-- sheet and row each came from: the evidence of a published scorecard.
--
-- Parameters: 1 submission ids (BIGINT[]), 2 member_key.
SELECT s.period, s.id, s.file_name, s.sheet, v.row_no, v.indicator, v.value::VARCHAR
FROM fact_values v
JOIN submissions s ON s.id = v.submission_id
WHERE list_contains(?::BIGINT[], v.submission_id) AND v.member_key = ?
ORDER BY s.period, v.row_no
