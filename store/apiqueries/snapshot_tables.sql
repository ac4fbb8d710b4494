-- The tables a snapshot carries: every base table of the main schema but the migration
-- log (a replica's own migrations make that). No parameters.
SELECT table_name
FROM duckdb_tables()
WHERE database_name = current_database()
  AND schema_name = 'main'
  AND NOT temporary
  AND table_name <> 'schema_migrations'
ORDER BY table_name
