-- read_bundle_members: a bundle's members.parquet read back in rank order, in the columns
-- of members.sql.
--
-- Parameters: the file's path.
SELECT member_key, name, district_code, district, months, vals::VARCHAR[], points::VARCHAR[], total::VARCHAR,
       rank, district_rank, grade, vetoed, veto_reason, missing, row_hash
FROM read_parquet(?)
ORDER BY position
