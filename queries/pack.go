package queries

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"math/big"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/qiancun/qiancun"
)

//go:embed packs
var embeddedPacks embed.FS

// Pack is a folder of SQL with a manifest (pack.toml): what it computes, its parameters and
// its output columns. See README.md for how to add one.
type Pack struct {
	Name        string      `toml:"name" json:"name"`
	Description string      `toml:"description" json:"description"`
	SQL         string      `toml:"sql" json:"-"` // the file that runs, default query.sql
	Params      []Param     `toml:"param" json:"params"`
	Columns     []OutColumn `toml:"column" json:"columns"`

	query string
}

// SHA256 is the hex SHA-256 of what the pack computes: its manifest as JSON and the SQL
// that runs. A publication records it, so that a changed pack is seen.
func (p *Pack) SHA256() string {
	h := sha256.New()
	m, _ := json.Marshal(p)
	h.Write(m)
	h.Write([]byte{0})
	h.Write([]byte(p.query))
	return hex.EncodeToString(h.Sum(nil))
}

// Param is a parameter of a pack. Every parameter is bound, never pasted into the SQL: a
// parameter p is $p in the SQL, and a period parameter also binds $p_months, the months
// (YYYY-MM) inside it, as VARCHAR[]. A list parameter (comma-separated) is a VARCHAR[].
type Param struct {
	Name        string `toml:"name" json:"name"`
	Type        string `toml:"type" json:"type"` // period, month, district, force, string, integer, decimal, list
	Required    bool   `toml:"required" json:"required"`
	Default     string `toml:"default" json:"default,omitempty"`
	Description string `toml:"description" json:"description"`
}

// OutColumn is a column of a pack's result.
type OutColumn struct {
	Name        string `toml:"name" json:"name"`
	Type        string `toml:"type" json:"type"` // text, integer, decimal, list, boolean
	Description string `toml:"description" json:"description,omitempty"`
}

// Packs is the set of query packs in force.
type Packs struct {
	list []*Pack
}

// All returns the packs by name.
func (ps *Packs) All() []*Pack { return ps.list }

// Get returns the pack named name, or nil.
func (ps *Packs) Get(name string) *Pack {
	for _, p := range ps.list {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// appraisalPack is the pack the engine appraises every force with.
const appraisalPack = "appraisal"

// LoadPacks returns the embedded packs, overridden or extended by the packs in dir (one
// folder each, holding pack.toml) when dir is not empty.
func LoadPacks(dir string) (*Packs, error) {
	ps := &Packs{}
	if err := ps.add(embeddedPacks, "packs"); err != nil {
		return nil, fmt.Errorf("embedded packs: %w", err)
	}
	if dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("packs directory: %w", err)
		}
		if err := ps.add(os.DirFS(dir), "."); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(ps.list, func(a, b *Pack) int { return strings.Compare(a.Name, b.Name) })
	return ps, nil
}

func (ps *Packs) add(fsys fs.FS, root string) error {
	manifests, err := fs.Glob(fsys, path.Join(root, "*", "pack.toml"))
	if err != nil {
		return err
	}
	for _, m := range manifests {
		b, err := fs.ReadFile(fsys, m)
		if err != nil {
			return err
		}
		p := &Pack{}
		md, err := toml.Decode(string(b), p)
		if err != nil {
			return fmt.Errorf("%s: %w", m, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			if und[0].String() == "force" {
				return fmt.Errorf("%s: unknown setting \"force\": a force's appraisal pack is gone; every force is appraised by the one \"appraisal\" pack, driven by the rules (add an indicator to the template and the rules instead)", m)
			}
			return fmt.Errorf("%s: unknown setting %q", m, und[0].String())
		}
		if p.SQL == "" {
			p.SQL = "query.sql"
		}
		q, err := fs.ReadFile(fsys, path.Join(path.Dir(m), p.SQL))
		if err != nil {
			return fmt.Errorf("%s: %w", m, err)
		}
		p.query = string(q)
		if err := p.check(); err != nil {
			return fmt.Errorf("%s: %w", m, err)
		}
		if i := slices.IndexFunc(ps.list, func(o *Pack) bool { return o.Name == p.Name }); i >= 0 {
			ps.list[i] = p
		} else {
			ps.list = append(ps.list, p)
		}
	}
	return nil
}

func (p *Pack) check() error {
	if p.Name == "" {
		return fmt.Errorf("pack has no name")
	}
	if p.Name == appraisalPack {
		var names []string
		for _, c := range p.Columns {
			names = append(names, c.Name)
		}
		if !slices.Equal(names, appraisalColumns) {
			return fmt.Errorf("pack %s: the appraisal pack's columns are %s", p.Name, strings.Join(appraisalColumns, ", "))
		}
	}
	for _, pr := range p.Params {
		switch pr.Type {
		case "period", "month", "district", "force", "string", "integer", "decimal", "list":
		default:
			return fmt.Errorf("pack %s: parameter %s has unknown type %q", p.Name, pr.Name, pr.Type)
		}
	}
	if len(p.Columns) == 0 {
		return fmt.Errorf("pack %s declares no output columns", p.Name)
	}
	return nil
}

// ParamError is a bad parameter value given to a pack; the API answers it with 400.
type ParamError struct {
	Param string
	Msg   string
}

func (e *ParamError) Error() string { return fmt.Sprintf("parameter %s: %s", e.Param, e.Msg) }

// bind turns the given parameter values into named SQL arguments, checking each by its
// type. Unknown parameters are refused.
func (p *Pack) bind(given map[string]string) ([]any, error) {
	for k := range given {
		if !slices.ContainsFunc(p.Params, func(pr Param) bool { return pr.Name == k }) {
			return nil, &ParamError{k, fmt.Sprintf("查询 %s 没有这个参数", p.Name)}
		}
	}
	var args []any
	for _, pr := range p.Params {
		v, ok := given[pr.Name]
		if !ok || v == "" {
			v = pr.Default
		}
		if v == "" && pr.Required {
			return nil, &ParamError{pr.Name, "缺少此参数"}
		}
		switch pr.Type {
		case "period":
			var months []string
			if v != "" {
				per, err := qiancun.ParsePeriod(v)
				if err != nil {
					return nil, &ParamError{pr.Name, err.Error()}
				}
				v, months = per.String(), per.MonthStrings()
			}
			args = append(args, sql.Named(pr.Name, v), sql.Named(pr.Name+"_months", months))
			continue
		case "month":
			if v != "" {
				if _, err := qiancun.ParseMonth(v); err != nil {
					return nil, &ParamError{pr.Name, err.Error()}
				}
			}
		case "district":
			if v != "" && qiancun.DistrictName(v) == "" {
				return nil, &ParamError{pr.Name, fmt.Sprintf("%q 不是济南市的区县代码", v)}
			}
		case "force":
			if v != "" {
				if _, ok := qiancun.LookupForce(v); !ok {
					return nil, &ParamError{pr.Name, fmt.Sprintf("未知的力量 %q", v)}
				}
			}
		case "integer":
			if v != "" {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return nil, &ParamError{pr.Name, "应为整数"}
				}
				args = append(args, sql.Named(pr.Name, n))
				continue
			}
		case "list":
			items := []string{}
			for x := range strings.SplitSeq(v, ",") {
				if x = strings.TrimSpace(x); x != "" {
					items = append(items, x)
				}
			}
			args = append(args, sql.Named(pr.Name, items))
			continue
		case "decimal":
			if v != "" {
				if _, ok := new(big.Rat).SetString(v); !ok {
					return nil, &ParamError{pr.Name, "want a number"}
				}
			}
		}
		args = append(args, sql.Named(pr.Name, v))
	}
	return args, nil
}

// Result is a pack's output: its columns and rows. Values are string, int64, bool,
// []string or nil; decimals come as strings with their scale, never as floats.
type Result struct {
	Pack       string            `json:"pack"`
	Params     map[string]string `json:"params"`
	Columns    []OutColumn       `json:"columns"`
	Rows       [][]any           `json:"rows"`
	ComputedAt time.Time         `json:"computed_at"`
}

// run executes the pack on db and converts every value to a JSON-safe type.
func (p *Pack) run(ctx context.Context, db Querier, given map[string]string) (*Result, error) {
	args, err := p.bind(given)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, p.query, args...)
	if err != nil {
		return nil, fmt.Errorf("pack %s: %w", p.Name, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if len(cols) != len(p.Columns) {
		return nil, fmt.Errorf("pack %s: query yields %d columns (%s), manifest declares %d", p.Name, len(cols), strings.Join(cols, ", "), len(p.Columns))
	}
	res := &Result{Pack: p.Name, Params: maps.Clone(given), Columns: p.Columns, Rows: [][]any{}, ComputedAt: time.Now().UTC()}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			vals[i] = plain(v)
		}
		res.Rows = append(res.Rows, vals)
	}
	return res, rows.Err()
}

// plain converts what the driver scans into JSON-safe values: HUGEINT (*big.Int) into
// int64 or its decimal text, DECIMAL (anything with a String method) into text, lists into
// []any of plain values, dates into YYYY-MM-DD.
func plain(v any) any {
	switch x := v.(type) {
	case nil, string, bool, int64:
		return x
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case uint64:
		return int64(x)
	case uint32:
		return int64(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case *big.Int:
		if x.IsInt64() {
			return x.Int64()
		}
		return x.String()
	case []byte:
		return string(x)
	case time.Time:
		return x.Format("2006-01-02")
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = plain(x[i])
		}
		return out
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}
