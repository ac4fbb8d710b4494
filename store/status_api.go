package store

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/qiancun/qiancun"
)

// The queries the HTTP API and the metrics need beyond ingest's; each file says what it
// computes.
//
//go:embed apiqueries/*.sql
var apiQueries embed.FS

func apiQuery(name string) string {
	b, err := apiQueries.ReadFile("apiqueries/" + name + ".sql")
	if err != nil {
		panic(fmt.Sprintf("store: embedded query %s: %v", name, err)) // a build error, not a runtime one
	}
	return string(b)
}

// MemberCounts returns how many members each force has had in any period (the members
// table). A force with none is absent.
func (s *Store) MemberCounts(ctx context.Context) (map[qiancun.Force]int64, error) {
	rows, err := s.db.QueryContext(ctx, apiQuery("member_counts"))
	if err != nil {
		return nil, fmt.Errorf("count members: %w", err)
	}
	defer rows.Close()
	out := map[qiancun.Force]int64{}
	for rows.Next() {
		var f string
		var n int64
		if err := rows.Scan(&f, &n); err != nil {
			return nil, err
		}
		out[qiancun.Force(f)] = n
	}
	return out, rows.Err()
}

// TemplateStatus is where one template's submissions stand.
type TemplateStatus struct {
	Template     string
	LastMonth    string    // the latest month (YYYY-MM) with a current accepted submission; "" for the registry and the ledger
	LastAccepted time.Time // when the latest accepted or partial submission was received
}

// TemplateStatuses returns, per template that ever had a submission accepted, its latest
// month and when its latest accepted submission was received, in template order.
func (s *Store) TemplateStatuses(ctx context.Context) ([]TemplateStatus, error) {
	rows, err := s.db.QueryContext(ctx, apiQuery("template_status"))
	if err != nil {
		return nil, fmt.Errorf("read the templates' status: %w", err)
	}
	defer rows.Close()
	var out []TemplateStatus
	for rows.Next() {
		var ts TemplateStatus
		var ms int64
		if err := rows.Scan(&ts.Template, &ts.LastMonth, &ms); err != nil {
			return nil, err
		}
		ts.LastAccepted = time.UnixMilli(ms).UTC()
		out = append(out, ts)
	}
	return out, rows.Err()
}
