package ingest

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/qiancun/qiancun"
)

//go:embed templates/*.toml
var embeddedTemplates embed.FS

// The words of a template live in the root package, which the store shares; these aliases
// keep ingest's own names.
type (
	// Kind says how a template's submissions relate to periods.
	Kind = qiancun.TemplateKind
	// ColumnType is the type of a template column; templates.toml documents each.
	ColumnType = qiancun.ColumnType
	// Role marks the columns that the store needs by meaning rather than by header.
	Role = qiancun.ColumnRole
	// Column is one column of a template.
	Column = qiancun.Column
	// Template is one form of the data contract.
	Template = qiancun.Template
)

// The three kinds of template.
const (
	KindMonthly  = qiancun.KindMonthly
	KindRegistry = qiancun.KindRegistry
	KindLedger   = qiancun.KindLedger
)

// The column types.
const (
	Text     = qiancun.ColText
	IDType   = qiancun.ColID
	USCCType = qiancun.ColUSCC
	Code     = qiancun.ColCode
	Village  = qiancun.ColVillage
	Town     = qiancun.ColTown
	DistType = qiancun.ColDistrict
	Integer  = qiancun.ColInteger
	Money    = qiancun.ColMoney
	Choice   = qiancun.ColChoice
	Date     = qiancun.ColDate
)

// The roles a column may play.
const (
	RoleKey      = qiancun.RoleKey
	RoleName     = qiancun.RoleName
	RoleVillages = qiancun.RoleVillages
	RoleTown     = qiancun.RoleTown
)

// ForceIndicators returns, per force, its monthly template's indicators (the numeric
// columns) and the file that declares them: what the appraisal rules are checked against.
func (ts *Templates) ForceIndicators() map[qiancun.Force]qiancun.TemplateIndicators {
	out := map[qiancun.Force]qiancun.TemplateIndicators{}
	for _, t := range ts.list {
		if t.Kind != KindMonthly || t.Force == "" {
			continue
		}
		ti := qiancun.TemplateIndicators{File: t.Source, Indicators: t.Indicators()}
		for _, c := range t.Columns {
			if c.Type == Money {
				ti.Money = append(ti.Money, c.Header)
			}
		}
		out[t.Force] = ti
	}
	return out
}

// Templates is the set of templates in force, in declaration order.
type Templates struct {
	list []*Template
}

// All returns the templates in declaration order.
func (ts *Templates) All() []*Template { return ts.list }

// Get returns the template with the slug, or nil.
func (ts *Templates) Get(slug string) *Template {
	for _, t := range ts.list {
		if t.Slug == slug {
			return t
		}
	}
	return nil
}

type templateFile struct {
	Template []*Template `toml:"template"`
}

// LoadTemplates returns the embedded templates, overridden or extended by every *.toml file
// in dir when dir is not empty. A template in dir with the slug of an embedded one replaces
// it whole.
func LoadTemplates(dir string) (*Templates, error) {
	ts := &Templates{}
	if err := ts.addFS(embeddedTemplates, "templates", "embedded ingest/"); err != nil {
		return nil, fmt.Errorf("embedded templates: %w", err)
	}
	if dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("templates directory: %w", err)
		}
		if err := ts.addFS(os.DirFS(dir), ".", dir+string(filepath.Separator)); err != nil {
			return nil, err
		}
	}
	return ts, nil
}

// addFS adds the templates of every *.toml file in dir of fsys; prefix names the files in
// messages.
func (ts *Templates) addFS(fsys fs.FS, dir, prefix string) error {
	names, err := fs.Glob(fsys, filepath.ToSlash(filepath.Join(dir, "*.toml")))
	if err != nil {
		return err
	}
	slices.Sort(names)
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		var f templateFile
		md, err := toml.Decode(string(b), &f)
		if err != nil {
			return fmt.Errorf("%s: %w", prefix+name, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			return fmt.Errorf("%s: unknown setting %q", prefix+name, und[0].String())
		}
		for _, t := range f.Template {
			t.Source = prefix + name
			if err := checkTemplate(t); err != nil {
				return fmt.Errorf("%s: template %q: %w", prefix+name, t.Slug, err)
			}
			if t.Kind == KindRegistry {
				// The store reads the assisted villages from the registry's kind: one list.
				if i := slices.IndexFunc(ts.list, func(o *Template) bool { return o.Kind == KindRegistry && o.Slug != t.Slug }); i >= 0 {
					return fmt.Errorf("%s: template %q: a second registry besides %q", prefix+name, t.Slug, ts.list[i].Slug)
				}
			}
			if i := slices.IndexFunc(ts.list, func(o *Template) bool { return o.Slug == t.Slug }); i >= 0 {
				ts.list[i] = t
			} else {
				ts.list = append(ts.list, t)
			}
		}
	}
	return nil
}

func checkTemplate(t *Template) error {
	if t.Slug == "" {
		return fmt.Errorf("no slug")
	}
	switch t.Kind {
	case KindMonthly:
		if _, ok := qiancun.LookupForce(string(t.Force)); !ok {
			return fmt.Errorf("monthly template names unknown force %q", t.Force)
		}
	case KindRegistry, KindLedger:
	default:
		return fmt.Errorf("kind %q: want monthly, registry or ledger", t.Kind)
	}
	if len(t.Columns) == 0 {
		return fmt.Errorf("no columns")
	}
	seen := map[string]bool{}
	for _, c := range t.Columns {
		if c.Header == "" {
			return fmt.Errorf("a column has no header")
		}
		for _, h := range append([]string{c.Header}, c.Aliases...) {
			n := normHeader(h)
			if seen[n] {
				return fmt.Errorf("header or alias %q given twice", h)
			}
			seen[n] = true
		}
		switch c.Type {
		case Text, IDType, USCCType, Code, Village, Town, DistType, Integer, Money, Date:
		case Choice:
			if len(c.Choices) == 0 {
				return fmt.Errorf("column %q: choice without choices", c.Header)
			}
		default:
			return fmt.Errorf("column %q: unknown type %q", c.Header, c.Type)
		}
	}
	key := t.RoleColumn(RoleKey)
	if key == nil {
		return fmt.Errorf("no column has role key")
	}
	if t.Kind == KindRegistry && key.Type != Code {
		return fmt.Errorf("a registry is keyed by a village code: its key column must have type code")
	}
	return nil
}

// normHeader folds a header for matching: full-width to half-width, spaces and line breaks
// removed, a trailing unit in brackets removed ("协调资金（万元）" -> "协调资金"), a leading "*"
// removed.
func normHeader(s string) string {
	s = foldWidth(s)
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '\u3000', '*', '★':
			return -1
		}
		return r
	}, s)
	if i := strings.LastIndexByte(s, '('); i > 0 && strings.HasSuffix(s, ")") {
		if unitWord(s[i+1 : len(s)-1]) {
			s = s[:i]
		}
	}
	return s
}

// headerUnit returns the money unit named in a header's brackets ("万元" or "元"), or "".
func headerUnit(s string) string {
	s = foldWidth(strings.ReplaceAll(s, " ", ""))
	if i := strings.LastIndexByte(s, '('); i > 0 && strings.HasSuffix(s, ")") {
		u := s[i+1 : len(s)-1]
		u = strings.TrimPrefix(u, "单位:")
		switch u {
		case "万元", "元":
			return u
		}
	}
	return ""
}

// unitWord reports whether s, the text in a header's brackets, is a unit rather than part of
// the header's name ("县(市、区)" keeps its brackets).
func unitWord(s string) bool {
	s = strings.TrimPrefix(s, "单位:")
	switch s {
	case "万元", "元", "个", "户", "天", "人", "次", "场", "件", "场次", "人次", "项", "家", "日":
		return true
	}
	return false
}
