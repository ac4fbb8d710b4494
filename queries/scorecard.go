package queries

import (
	"context"
	"errors"

	"github.com/qiancun/qiancun"
)

// Scorecard explains one member's appraisal: each indicator's value, the cohort's best, the
// weight and the points, the veto if any, and the rows each value came from.
type Scorecard struct {
	Force         qiancun.Force `json:"force"`
	Period        string        `json:"period"`
	RulesVersion  string        `json:"rules_version"`
	CohortSize    int           `json:"cohort_size"`
	MissingMonths []string      `json:"missing_months"`
	Member        Member        `json:"member"`
	Lines         []ScoreLine   `json:"lines"`
}

// ScoreLine is one indicator of a scorecard.
type ScoreLine struct {
	Indicator string   `json:"indicator"`
	Value     string   `json:"value"`
	Best      string   `json:"best"`
	Weight    string   `json:"weight"`
	Points    string   `json:"points"`
	Sources   []Source `json:"sources"`
}

// Source is one cell's worth of a value: the month, the submission, its file, sheet and row.
type Source struct {
	Period       string `json:"period"`
	SubmissionID int64  `json:"submission_id"`
	File         string `json:"file"`
	Sheet        string `json:"sheet"`
	Row          int64  `json:"row"`
	Value        string `json:"value"`
}

// ErrNoMember is returned when the member is not in the period's cohort.
var ErrNoMember = errors.New("member not in the cohort of this period")

// Scorecard returns the explanation of key's appraisal in force over period.
func (e *Engine) Scorecard(ctx context.Context, force qiancun.Force, period, key string) (*Scorecard, error) {
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
	sc := &Scorecard{Force: force, Period: r.Period, RulesVersion: r.RulesVersion, CohortSize: len(r.Members),
		MissingMonths: r.MissingMonths, Member: *m}
	for _, in := range r.Indicators {
		line := ScoreLine{Indicator: in.Name, Value: m.Indicators[in.Name], Best: in.Best, Weight: in.Weight,
			Points: m.Points[in.Name], Sources: []Source{}}
		for _, row := range res.Rows {
			if row[5] != in.Name {
				continue
			}
			v, _ := asInt64(row[6])
			line.Sources = append(line.Sources, Source{
				Period: row[0].(string), SubmissionID: row[1].(int64), File: row[2].(string),
				Sheet: row[3].(string), Row: row[4].(int64), Value: hundredths(v),
			})
		}
		sc.Lines = append(sc.Lines, line)
	}
	return sc, nil
}
