-- publications: publication headers with their current state and the correction that
-- superseded each (0 when none), newest first. Empty filters match all.
--
-- Parameters: 1–2 id (0 for any), 3–4 force, 5–6 period, 7–8 state ('' for any).
SELECT p.id, p.force, p.period, p.until, p.created_at, p.created_by, p.note, coalesce(p.corrects, 0),
       p.reason, p.program, p.rules_version, p.rules_text, p.rules_sha256, p.pack_sha256, p.key_kind, p.quota_scope, p.months,
       p.missing, p.members, p.prev_hash, p.hash, coalesce(st.state, ''),
       coalesce((SELECT max(c.id) FROM publications c WHERE c.corrects = p.id), 0)
FROM publications p
LEFT JOIN publication_states st ON st.publication_id = p.id
WHERE (? = 0 OR p.id = ?) AND (? = '' OR p.force = ?) AND (? = '' OR p.period = ?) AND (? = '' OR st.state = ?)
ORDER BY p.id DESC
