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

// Rules are the appraisal rules in force: per force the indicators and weights, the scoring
// method, the veto, the grade thresholds and the 优秀 quota; and the programme's targets.
type Rules struct {
	Version string                        `toml:"version" json:"version"`
	Forces  map[qiancun.Force]*ForceRules `toml:"forces" json:"forces"`
	Targets Targets                       `toml:"targets" json:"targets"`
}

// ForceRules are one force's rules.
type ForceRules struct {
	Indicators []Weighted `toml:"indicators" json:"indicators"`
	Method     string     `toml:"method" json:"method"`
	Veto       *Veto      `toml:"veto" json:"veto,omitempty"`
	Quota      float64    `toml:"quota" json:"quota"`
	Grades     Grades     `toml:"grades" json:"grades"`
}

// Weighted is an indicator (a standard header of the force's template) and its weight.
type Weighted struct {
	Name   string  `toml:"name" json:"name"`
	Weight float64 `toml:"weight" json:"weight"`
}

// Veto is the 一票否决 rule: vetoed when Indicator summed over the period is below
// MinPerMonth × the months of the period.
type Veto struct {
	Indicator   string  `toml:"indicator" json:"indicator"`
	MinPerMonth float64 `toml:"min_per_month" json:"min_per_month"`
	Reason      string  `toml:"reason" json:"reason"`
}

// Grades are the score thresholds: 优秀 from Excellent (within the quota), 称职 from
// Competent, 基本称职 from Incompetent, 不称职 below.
type Grades struct {
	Excellent   float64 `toml:"excellent" json:"excellent"`
	Competent   float64 `toml:"competent" json:"competent"`
	Incompetent float64 `toml:"incompetent" json:"incompetent"`
}

// Targets are the programme's published figures, against which progress is measured.
type Targets struct {
	Villages  int64            `toml:"villages" json:"villages"`
	Members   map[string]int64 `toml:"members" json:"members"` // by force slug
	FundsYuan string           `toml:"funds_yuan" json:"funds_yuan"`
	Projects  int64            `toml:"projects" json:"projects"`
}

// The four grades.
const (
	GradeExcellent   = "优秀"
	GradeCompetent   = "称职"
	GradeBasic       = "基本称职"
	GradeIncompetent = "不称职"
)

type rulesFile struct {
	Version  string                        `toml:"version"`
	Defaults ForceRules                    `toml:"defaults"`
	Forces   map[qiancun.Force]*ForceRules `toml:"forces"`
	Targets  Targets                       `toml:"targets"`
}

// LoadRules reads the rules from path, or the embedded defaults when path is empty.
// indicators lists, per force, the indicators its appraisal pack yields; a rule naming
// another is refused.
func LoadRules(path string, indicators map[qiancun.Force][]string) (*Rules, error) {
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

func parseRules(b []byte, indicators map[qiancun.Force][]string) (*Rules, error) {
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
	r := &Rules{Version: f.Version, Forces: map[qiancun.Force]*ForceRules{}, Targets: f.Targets}
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
		if fr.Grades == (Grades{}) {
			fr.Grades = f.Defaults.Grades
		}
		if err := fr.check(indicators[slug]); err != nil {
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

func (fr *ForceRules) check(known []string) error {
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
