-- The database's schema version: the highest migration it has applied. No parameters.
SELECT coalesce(max(version), 0) FROM schema_migrations
