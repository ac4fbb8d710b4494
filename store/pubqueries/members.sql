-- members: a publication's member rows in rank order; lists and decimals as text, read
-- back exactly (see readMemberRows).
--
-- Parameters: publication_id.
SELECT member_key, name, district_code, district, months, vals::VARCHAR[], points::VARCHAR[], total::VARCHAR,
       rank, district_rank, grade, vetoed, veto_reason, missing, row_hash
FROM publication_members
WHERE publication_id = ?
ORDER BY position
