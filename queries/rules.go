package queries

import (
	_ "embed"
	"fmt"
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
	Defaults qiancun.ForceRules                    `toml:"defaults"`
	Forces   map[qiancun.Force]*qiancun.ForceRules `toml:"forces"`
	Targets  qiancun.Targets                       `toml:"targets"`
}

// LoadRules reads the rules from path, or the embedded defaults when path is empty.
// indicators lists, per force, the indicators its appraisal pack yields; a rule naming
// another is refused.
func LoadRules(path string, indicators map[qiancun.Force][]string) (*qiancun.Rules, error) {
	b := defaultRules
	if path != "" {
		var err error
		if b, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
	}
	r, err := parseRules(b, indicators)
	if err != nil {
		if path == "" {
			path = "embedded rules.toml"
		}
		return nil, fmt.Errorf("rules %s: %w", path, err)
	}
	return r, nil
}

func parseRules(b []byte, indicators map[qiancun.Force][]string) (*qiancun.Rules, error) {
	var f rulesFile
	md, err := toml.Decode(string(b), &f)
	if err != nil {
		return nil, err
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("unknown setting %q", und[0].String())
	}
	if f.Version == "" {
		return nil, fmt.Errorf("no version: name this set of rules (version = \"...\")")
	}
	r := &qiancun.Rules{Version: f.Version, Forces: map[qiancun.Force]*qiancun.ForceRules{}, Targets: f.Targets}
	for slug, fr := range f.Forces {
		if _, ok := qiancun.LookupForce(string(slug)); !ok {
			return nil, fmt.Errorf("unknown force %q", slug)
		}
		if fr.Method == "" {
			fr.Method = f.Defaults.Method
		}
		if fr.Quota == 0 {
			fr.Quota = f.Defaults.Quota
		}
		if fr.Grades == (qiancun.Grades{}) {
			fr.Grades = f.Defaults.Grades
		}
		if err := checkForce(fr, indicators[slug]); err != nil {
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

func checkForce(fr *qiancun.ForceRules, known []string) error {
	if fr.Method != "best" {
		return fmt.Errorf("method %q: the only method is \"best\" (weight × value / best in the cohort)", fr.Method)
	}
	if len(fr.Indicators) == 0 {
		return fmt.Errorf("no indicators")
	}
	sum := new(big.Rat)
	var seen []string
	for _, in := range fr.Indicators {
		if known != nil && !slices.Contains(known, in.Name) {
			return fmt.Errorf("unknown indicator %q: the force's indicators are %s", in.Name, strings.Join(known, "、"))
		}
		if slices.Contains(seen, in.Name) {
			return fmt.Errorf("indicator %q given twice", in.Name)
		}
		seen = append(seen, in.Name)
		if in.Weight < 0 {
			return fmt.Errorf("indicator %q: negative weight", in.Name)
		}
		w, _ := new(big.Rat).SetString(fmt.Sprint(in.Weight))
		sum.Add(sum, w)
	}
	if sum.Cmp(big.NewRat(100, 1)) != 0 {
		return fmt.Errorf("weights sum to %s, not 100", sum.FloatString(2))
	}
	if fr.Veto != nil && known != nil && !slices.Contains(known, fr.Veto.Indicator) {
		return fmt.Errorf("veto names unknown indicator %q", fr.Veto.Indicator)
	}
	if fr.Quota < 0 || fr.Quota > 1 {
		return fmt.Errorf("quota %g: want a share between 0 and 1", fr.Quota)
	}
	g := fr.Grades
	if !(g.Incompetent <= g.Competent && g.Competent <= g.Excellent) {
		return fmt.Errorf("grades: want incompetent ≤ competent ≤ excellent")
	}
	return nil
}
