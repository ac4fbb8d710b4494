-- 051_raw_file_parts: a kept file is stored in parts of at most 1 MiB (raw_file_parts), no
-- longer as one BLOB in raw_files, which keeps what it knows of the file (size, first name,
-- when it came).
--
-- One BLOB of an 18 MB file cost DuckDB about 70 MB while its submission committed: the
-- value is copied whole several times on its way into the table. Parts of 1 MiB are
-- written one at a time and cost a few MB (README, Benchmarks). A file kept before this
-- migration becomes one part.

CREATE TABLE raw_file_parts (
    sha256  VARCHAR NOT NULL,   -- raw_files.sha256
    part    INTEGER NOT NULL,   -- 0, 1, 2, …: the file is the parts' contents in this order
    content BLOB NOT NULL
);

INSERT INTO raw_file_parts SELECT sha256, 0, content FROM raw_files;

ALTER TABLE raw_files DROP COLUMN content;
