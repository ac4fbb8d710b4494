package queries

import (
	"context"
	"errors"

	"github.com/qiancun/qiancun"
)

// ErrNoMember is returned when the member is not in the period's cohort.
var ErrNoMember = errors.New("member not in the cohort of this period")

// Scorecard returns the explanation of key's appraisal in force over period.
func (e *Engine) Scorecard(ctx context.Context, force qiancun.Force, period, key string) (*qiancun.Scorecard, error) {
	r, err := e.Rank(ctx, force, period)
	if err != nil {
		return nil, err
	}
	m := r.Member(key)
	if m == nil {
		return nil, ErrNoMember
	}
	res, err := e.Run(ctx, "member_sources", map[string]string{"force": string(force), "key": key, "period": r.Period})
	if err != nil {
		return nil, err
	}
	sc := &qiancun.Scorecard{Force: force, Period: r.Period, RulesVersion: r.RulesVersion, CohortSize: len(r.Members),
		MissingMonths: r.MissingMonths, Member: *m}
	for i, in := range r.Indicators {
		line := qiancun.NewScoreLine(in, m, i)
		for _, row := range res.Rows {
			if row[5] != in.Name {
				continue
			}
			v, _ := asInt64(row[6])
			line.Sources = append(line.Sources, qiancun.Source{
				Period: row[0].(string), SubmissionID: row[1].(int64), File: row[2].(string),
				Sheet: row[3].(string), Row: row[4].(int64), Value: hundredths(v),
			})
		}
		sc.Lines = append(sc.Lines, line)
	}
	return sc, nil
}
