-- 010_receipt_omitted: the issues a receipt counted without listing them (more than
-- qiancun.MaxIssuesPerRule of one rule, or qiancun.MaxIssues in all), by rule and severity.
CREATE TABLE receipt_omitted (
    submission_id BIGINT NOT NULL,
    rule          VARCHAR NOT NULL,
    severity      VARCHAR NOT NULL,
    count         BIGINT NOT NULL,
    PRIMARY KEY (submission_id, rule, severity)
);
