-- bundle_members: a publication's members as written to its bundle's members.parquet.
--
-- Parameters: publication_id.
SELECT position, member_key, name, district_code, district, months, vals, points, total,
       rank, district_rank, grade, vetoed, veto_reason, missing, row_hash
FROM publication_members
WHERE publication_id = ?
ORDER BY position
