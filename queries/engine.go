package queries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/qiancun/qiancun"
)

// Data is what the engine reads: a database handle, and a version that changes whenever a
// submission changes the data (the store satisfies it).
type Data interface {
	DB() *sql.DB
	Version() uint64
}

// Engine runs query packs and appraises the forces. Results are cached per (pack,
// parameters) and dropped as soon as the data version moves, so repeated calls do not
// recompute. It is safe for concurrent use.
type Engine struct {
	data  Data
	packs *Packs
	rules *qiancun.Rules

	mu      sync.Mutex
	version uint64
	cache   map[string]any
	group   singleflight.Group
}

// maxCached bounds the cache; past it the cache is emptied (cheap, and rare in practice:
// seven forces × a few periods).
const maxCached = 512

// New returns an engine over data with the packs and rules given.
func New(data Data, packs *Packs, rules *qiancun.Rules) *Engine {
	return &Engine{data: data, packs: packs, rules: rules, cache: map[string]any{}}
}

// qiancun.Rules returns the rules in force.
func (e *Engine) Rules() *qiancun.Rules { return e.rules }

// Packs returns the packs in force.
func (e *Engine) Packs() *Packs { return e.packs }

// cached returns the value under key, computing it with fn once for all concurrent callers
// when it is missing or stale.
func (e *Engine) cached(ctx context.Context, key string, fn func(ctx context.Context) (any, error)) (any, error) {
	v := e.data.Version()
	e.mu.Lock()
	if e.version != v {
		e.cache, e.version = map[string]any{}, v
	}
	if x, ok := e.cache[key]; ok {
		e.mu.Unlock()
		return x, nil
	}
	e.mu.Unlock()
	x, err, _ := e.group.Do(fmt.Sprintf("%d|%s", v, key), func() (any, error) {
		x, err := fn(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		e.mu.Lock()
		if e.version == v {
			if len(e.cache) >= maxCached {
				e.cache = map[string]any{}
			}
			e.cache[key] = x
		}
		e.mu.Unlock()
		return x, nil
	})
	return x, err
}

// ErrUnknownPack is returned for a pack name that no pack has.
var ErrUnknownPack = errors.New("unknown pack")

// Run runs the named pack with the given parameters, from the cache when it can.
func (e *Engine) Run(ctx context.Context, pack string, params map[string]string) (*Result, error) {
	p := e.packs.Get(pack)
	if p == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownPack, pack)
	}
	if _, err := p.bind(params); err != nil {
		return nil, err
	}
	keys := slices.Sorted(maps.Keys(params))
	var b strings.Builder
	b.WriteString("pack:" + pack)
	for _, k := range keys {
		fmt.Fprintf(&b, "|%s=%s", k, params[k])
	}
	x, err := e.cached(ctx, b.String(), func(ctx context.Context) (any, error) {
		return p.run(ctx, e.data.DB(), params)
	})
	if err != nil {
		return nil, err
	}
	return x.(*Result), nil
}

// Rank appraises force over period (YYYY-MM, YYYY-Qn or YYYY) and returns the whole
// ranking, from the cache when it can.
func (e *Engine) Rank(ctx context.Context, force qiancun.Force, period string) (*qiancun.Ranking, error) {
	fi, ok := qiancun.LookupForce(string(force))
	if !ok {
		return nil, &ParamError{"force", fmt.Sprintf("unknown force %q", force)}
	}
	per, err := qiancun.ParsePeriod(period)
	if err != nil {
		return nil, &ParamError{"period", err.Error()}
	}
	x, err := e.cached(ctx, "rank:"+string(force)+"|"+per.String(), func(ctx context.Context) (any, error) {
		return e.rank(ctx, e.data.DB(), fi, per)
	})
	if err != nil {
		return nil, err
	}
	return x.(*qiancun.Ranking), nil
}

// RankAll appraises the seven forces over period side by side (the database's work for one
// overlapping the scoring of another) and returns their rankings in the contract's order.
func (e *Engine) RankAll(ctx context.Context, period string) ([]*qiancun.Ranking, error) {
	forces := qiancun.Forces()
	out := make([]*qiancun.Ranking, len(forces))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(len(forces)) // DuckDB shares its threads; the Go side of one overlaps another's query
	for i, f := range forces {
		g.Go(func() error {
			r, err := e.Rank(ctx, f.Slug, period)
			out[i] = r
			return err
		})
	}
	return out, g.Wait()
}

// Querier runs read queries: the database handle, or one connection inside a transaction,
// whose snapshot every query of a ranking then reads.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// RankOn appraises force over period reading only through q, never from the cache: given a
// connection inside a transaction, the ranking is of that transaction's snapshot (what a
// publication freezes, together with the submissions it lists).
func (e *Engine) RankOn(ctx context.Context, q Querier, force qiancun.Force, period string) (*qiancun.Ranking, error) {
	fi, ok := qiancun.LookupForce(string(force))
	if !ok {
		return nil, &ParamError{"force", fmt.Sprintf("unknown force %q", force)}
	}
	per, err := qiancun.ParsePeriod(period)
	if err != nil {
		return nil, &ParamError{"period", err.Error()}
	}
	return e.rank(ctx, q, fi, per)
}

func (e *Engine) rank(ctx context.Context, q Querier, fi qiancun.ForceInfo, per qiancun.Period) (*qiancun.Ranking, error) {
	fr := e.rules.Forces[fi.Slug]
	p := e.packs.Get(appraisalPack)
	if p == nil || fr == nil {
		return nil, fmt.Errorf("force %s has no appraisal pack or rules", fi.Slug)
	}
	names := make([]string, len(fr.Indicators))
	for i, in := range fr.Indicators {
		names[i] = in.Name
	}
	c, err := p.scanCohort(ctx, q, fi.Slug, per.String(), names)
	if err != nil {
		return nil, err
	}
	members, infos, err := appraise(fr, c, len(per.Months()))
	if err != nil {
		return nil, err
	}
	missing, err := e.missingMonths(ctx, q, fi.Slug, per)
	if err != nil {
		return nil, err
	}
	return &qiancun.Ranking{
		Force: fi.Slug, ForceName: fi.Name, Period: per.String(), Months: per.MonthStrings(),
		MissingMonths: missing, RulesVersion: e.rules.Version, QuotaScope: fr.QuotaScope, Rules: fr, Indicators: infos,
		Members: members, ComputedAt: time.Now().UTC(), KeyKind: fi.Key,
	}, nil
}

// missingMonths lists the months of per with no accepted submission of force's template.
func (e *Engine) missingMonths(ctx context.Context, q Querier, force qiancun.Force, per qiancun.Period) ([]string, error) {
	res, err := e.packs.Get("months_received").run(ctx, q, map[string]string{"period": per.String()})
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, row := range res.Rows {
		if row[0] == string(force) {
			have[row[1].(string)] = true
		}
	}
	missing := []string{}
	for _, m := range per.MonthStrings() {
		if !have[m] {
			missing = append(missing, m)
		}
	}
	return missing, nil
}
