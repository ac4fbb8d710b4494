-- insert_resolution: the answer to an objection; its primary key allows one.
--
-- Parameters: objection_id, resolution (维持 or 更正), resolved_by, resolved_at, note.
INSERT INTO objection_resolutions (objection_id, resolution, resolved_by, resolved_at, note)
VALUES (?, ?, ?, ?, ?)
