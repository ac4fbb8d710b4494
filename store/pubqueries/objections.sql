-- objections: objections with their answers (empty while open), oldest first.
--
-- Parameters: 1–2 publication_id (0 for any), 3 open only (BOOLEAN).
SELECT o.id, o.publication_id, o.member_key, o.member_name, o.raised_by, o.raised_at, o.reason,
       coalesce(r.resolution, ''), coalesce(r.resolved_by, ''), r.resolved_at, coalesce(r.note, '')
FROM objections o
LEFT JOIN objection_resolutions r ON r.objection_id = o.id
WHERE (? = 0 OR o.publication_id = ?) AND (NOT ? OR r.objection_id IS NULL)
ORDER BY o.id
