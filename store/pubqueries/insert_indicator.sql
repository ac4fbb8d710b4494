-- insert_indicator: one indicator of a publication.
--
-- Parameters: publication_id, seq (1-based), name, weight, benchmark_rule, benchmark_mode,
-- benchmark, benchmark_pos, fallback, best, money, missing.
INSERT INTO publication_indicators (publication_id, seq, name, weight, benchmark_rule, benchmark_mode, benchmark,
                                    benchmark_pos, fallback, best, money, missing)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
