-- stats_latest_final: per force, when a publication last became final (已发布: finalized,
-- or published as a correction), for the metrics.
--
-- Parameters: none.
SELECT p.force, max(e.moved_at)
FROM publication_events e
JOIN publications p ON p.id = e.publication_id
WHERE e.to_state = '已发布'
GROUP BY p.force
