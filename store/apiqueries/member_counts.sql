-- member_counts: how many members each force has in the members table, that is every
-- member with at least one accepted row in any period. A force with none has no row.
--
-- Parameters: none.
SELECT force, CAST(count(*) AS BIGINT) AS members
FROM members
GROUP BY force
ORDER BY force
