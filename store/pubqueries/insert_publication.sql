-- insert_publication: a publication's header. Never updated afterwards.
--
-- Parameters, in column order: id, force, period, until, created_at, created_by, note,
-- corrects (NULL unless a correction), reason, program, rules_version, rules_text,
-- rules_sha256, pack_sha256, key_kind, quota_scope, months (VARCHAR[]), missing (VARCHAR[]),
-- members, prev_hash, hash.
INSERT INTO publications (id, force, period, until, created_at, created_by, note, corrects, reason, program,
                          rules_version, rules_text, rules_sha256, pack_sha256, key_kind, quota_scope, months, missing,
                          members, prev_hash, hash)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::VARCHAR[], ?::VARCHAR[], ?, ?, ?)
