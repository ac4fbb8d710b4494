-- stats_open_objections: objections not yet answered, for the metrics.
--
-- Parameters: none.
SELECT count(*)
FROM objections o
WHERE NOT EXISTS (SELECT 1 FROM objection_resolutions r WHERE r.objection_id = o.id)
