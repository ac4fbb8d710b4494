-- stats_states: publications by force and current state, for the metrics.
--
-- Parameters: none.
SELECT p.force, st.state, count(*)
FROM publications p
JOIN publication_states st ON st.publication_id = p.id
GROUP BY ALL
