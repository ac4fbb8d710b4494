package queries

import (
	_ "embed"
	"fmt"
	"maps"
	"math/big"
	"os"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/qiancun/qiancun"
)

//go:embed rules.toml
var defaultRules []byte

type rulesFile struct {
	Version  string                                `toml:"version"`
	Defaults ruleDefaults                          `toml:"defaults"`
	Forces   map[qiancun.Force]*qiancun.ForceRules `toml:"forces"`
	Targets  qiancun.Targets                       `toml:"targets"`
}

// ruleDefaults are what a force's rules take when they do not say.
type ruleDefaults struct {
	Benchmark  string         `toml:"benchmark"`
	Quota      float64        `toml:"quota"`
	QuotaScope string         `toml:"quota_scope"`
	Grades     qiancun.Grades `toml:"grades"`
}

// LoadRules reads the rules from path, or the embedded defaults when path is empty, and
// checks them against the forces' templates: every indicator a rule names must be in its
// force's template, every indicator of a template must be named by a rule (weight 0 to
// collect it unscored), weights sum to 100 and benchmarks are known. The error names the
// file and the indicator. A nil templates skips the checks against the templates.
func LoadRules(path string, templates map[qiancun.Force]qiancun.TemplateIndicators) (*qiancun.Rules, error) {
	b := defaultRules
	if path != "" {
		var err error
		if b, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
	}
	r, err := parseRules(b, templates)
	if err != nil {
		if path == "" {
			path = "embedded queries/rules.toml"
		}
		return nil, fmt.Errorf("rules %s: %w", path, err)
	}
	return r, nil
}

func parseRules(b []byte, templates map[qiancun.Force]qiancun.TemplateIndicators) (*qiancun.Rules, error) {
	var f rulesFile
	md, err := toml.Decode(string(b), &f)
	if err != nil {
		return nil, err
	}
	if und := md.Undecoded(); len(und) > 0 {
		k := und[0].String()
		if und[0][len(und[0])-1] == "method" {
			return nil, fmt.Errorf("unknown setting %q: method was replaced by a benchmark per indicator (benchmark = \"max\" is the old \"best\")", k)
		}
		return nil, fmt.Errorf("unknown setting %q", k)
	}
	if f.Version == "" {
		return nil, fmt.Errorf("no version: name this set of rules (version = \"...\")")
	}
	if f.Defaults.Benchmark == "" {
		f.Defaults.Benchmark = "p80" // the contract's default
	}
	if f.Defaults.QuotaScope == "" {
		f.Defaults.QuotaScope = qiancun.QuotaCity
	}
	r := &qiancun.Rules{Version: f.Version, Forces: map[qiancun.Force]*qiancun.ForceRules{}, Targets: f.Targets}
	for _, slug := range slices.Sorted(maps.Keys(f.Forces)) {
		fr := f.Forces[slug]
		if _, ok := qiancun.LookupForce(string(slug)); !ok {
			return nil, fmt.Errorf("unknown force %q", slug)
		}
		if fr.Quota == 0 {
			fr.Quota = f.Defaults.Quota
		}
		if fr.QuotaScope == "" {
			fr.QuotaScope = f.Defaults.QuotaScope
		}
		if fr.Grades == (qiancun.Grades{}) {
			fr.Grades = f.Defaults.Grades
		}
		for i := range fr.Indicators {
			if fr.Indicators[i].Benchmark == "" {
				fr.Indicators[i].Benchmark = f.Defaults.Benchmark
			}
		}
		var tmpl *qiancun.TemplateIndicators
		if templates != nil {
			t, ok := templates[slug]
			tmpl = &t
			if !ok {
				tmpl = &qiancun.TemplateIndicators{File: "(no template)"}
			}
		}
		if err := checkForce(fr, tmpl); err != nil {
			return nil, fmt.Errorf("force %s: %w", slug, err)
		}
		r.Forces[slug] = fr
	}
	for _, fi := range qiancun.Forces() {
		if r.Forces[fi.Slug] == nil {
			return nil, fmt.Errorf("force %s has no rules", fi.Slug)
		}
	}
	if r.Targets.FundsYuan == "" {
		r.Targets.FundsYuan = "0"
	}
	if _, ok := new(big.Rat).SetString(r.Targets.FundsYuan); !ok {
		return nil, fmt.Errorf("targets.funds_yuan %q is not a number", r.Targets.FundsYuan)
	}
	return r, nil
}

// maxIndicators bounds a force's indicators: the appraisal pack has as many slots.
const maxIndicators = 16

func checkForce(fr *qiancun.ForceRules, tmpl *qiancun.TemplateIndicators) error {
	if len(fr.Indicators) == 0 {
		return fmt.Errorf("no indicators")
	}
	if len(fr.Indicators) > maxIndicators {
		return fmt.Errorf("%d indicators: at most %d", len(fr.Indicators), maxIndicators)
	}
	sum := new(big.Rat)
	var seen []string
	for i, in := range fr.Indicators {
		if tmpl != nil && !slices.Contains(tmpl.Indicators, in.Name) {
			return fmt.Errorf("indicator %q is not in the force's template (%s), whose indicators are %s",
				in.Name, tmpl.File, orNone(strings.Join(tmpl.Indicators, "、")))
		}
		if slices.Contains(seen, in.Name) {
			return fmt.Errorf("indicator %q given twice", in.Name)
		}
		seen = append(seen, in.Name)
		if in.Weight < 0 {
			return fmt.Errorf("indicator %q: negative weight", in.Name)
		}
		if tmpl != nil {
			fr.Indicators[i].Money = slices.Contains(tmpl.Money, in.Name)
		}
		b, err := qiancun.ParseBenchmark(in.Benchmark)
		if err != nil {
			return fmt.Errorf("indicator %q: %w", in.Name, err)
		}
		fr.Indicators[i].Benchmark = b.String()
		w, _ := new(big.Rat).SetString(fmt.Sprint(in.Weight))
		sum.Add(sum, w)
	}
	if sum.Cmp(big.NewRat(100, 1)) != 0 {
		return fmt.Errorf("weights sum to %s, not 100", sum.FloatString(2))
	}
	if tmpl != nil {
		for _, name := range tmpl.Indicators {
			if !slices.Contains(seen, name) {
				return fmt.Errorf("template %s has indicator %q, which no rule reads: give it a weight here (0 to collect it unscored) or remove it from the template", tmpl.File, name)
			}
		}
	}
	if fr.Veto != nil && !slices.Contains(seen, fr.Veto.Indicator) {
		return fmt.Errorf("veto names indicator %q, which the force's rules do not list", fr.Veto.Indicator)
	}
	if fr.Quota < 0 || fr.Quota > 1 {
		return fmt.Errorf("quota %g: want a share between 0 and 1", fr.Quota)
	}
	switch fr.QuotaScope {
	case qiancun.QuotaCity, qiancun.QuotaDistrict:
	default:
		return fmt.Errorf("quota_scope %q: want \"city\" or \"district\"", fr.QuotaScope)
	}
	g := fr.Grades
	if !(g.Incompetent <= g.Competent && g.Competent <= g.Excellent) {
		return fmt.Errorf("grades: want incompetent ≤ competent ≤ excellent")
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
