-- insert_members: every member row of a publication in one statement, from lists of
-- columns unnested together (the lists have one element per member, in rank order).
--
-- Parameters: 1 publication_id; then lists: 2 position (BIGINT[]), 3 member_key, 4 name,
-- 5 district_code, 6 district (VARCHAR[]), 7 months (BIGINT[]), 8 vals and 9 points
-- (VARCHAR[] of decimal list literals such as '[1.50,-0.05]'), 10 total (VARCHAR[] of
-- decimals), 11 rank, 12 district_rank (BIGINT[]), 13 grade (VARCHAR[]), 14 vetoed
-- (BOOLEAN[]), 15 veto_reason, 16 missing (VARCHAR[] of list literals such as '[驻村天数]'),
-- 17 row_hash (VARCHAR[]).
INSERT INTO publication_members (publication_id, position, member_key, name, district_code, district, months,
                                 vals, points, total, rank, district_rank, grade, vetoed, veto_reason, missing, row_hash)
SELECT ?, unnest(?::BIGINT[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]),
       unnest(?::VARCHAR[]), unnest(?::BIGINT[]), unnest(?::VARCHAR[])::DECIMAL(18, 2)[],
       unnest(?::VARCHAR[])::DECIMAL(18, 2)[], unnest(?::VARCHAR[])::DECIMAL(18, 2),
       unnest(?::BIGINT[]), unnest(?::BIGINT[]), unnest(?::VARCHAR[]), unnest(?::BOOLEAN[]),
       unnest(?::VARCHAR[]), unnest(?::VARCHAR[])::VARCHAR[], unnest(?::VARCHAR[])
