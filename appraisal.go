package qiancun

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rules are the appraisal rules in force: per force the indicators, their weights and
// benchmarks, the veto, the grade thresholds and the 优秀 quota; and the programme's targets.
type Rules struct {
	Version string                `toml:"version" json:"version"`
	Forces  map[Force]*ForceRules `toml:"forces" json:"forces"`
	Targets Targets               `toml:"targets" json:"targets"`
}

// ForceRules are one force's rules.
type ForceRules struct {
	Indicators []Weighted `toml:"indicators" json:"indicators"`
	Veto       *Veto      `toml:"veto" json:"veto,omitempty"`
	Quota      float64    `toml:"quota" json:"quota"`
	// QuotaScope says where the 优秀 quota is counted: QuotaCity (the default), floor(quota
	// × the cohort) over the whole city; or QuotaDistrict, floor(quota × the district's
	// cohort) in each district, with the same rule for tied groups.
	QuotaScope string `toml:"quota_scope" json:"quota_scope"`
	Grades     Grades `toml:"grades" json:"grades"`
}

// TemplateIndicators are a force's monthly template as its rules are checked against it.
type TemplateIndicators struct {
	File       string   // where the template is declared, for messages
	Indicators []string // the numeric columns' standard headers, in the template's order
	Money      []string // those of them that are amounts in 元
}

// The quota scopes.
const (
	QuotaCity     = "city"
	QuotaDistrict = "district"
)

// Weighted is an indicator (a standard header of the force's template), its weight and its
// benchmark: "max", "pNN" or "target:X" (see ParseBenchmark).
type Weighted struct {
	Name      string  `toml:"name" json:"name"`
	Weight    float64 `toml:"weight" json:"weight"`
	Benchmark string  `toml:"benchmark" json:"benchmark"`
	// Money is set when the rules are loaded, from the template: the column is in 元.
	Money bool `toml:"-" json:"-"`
}

// The benchmark modes, as a ranking names them (IndicatorInfo.BenchmarkMode).
const (
	BenchmarkMax        = "max"        // the cohort's highest value
	BenchmarkPercentile = "percentile" // the cohort's NN-th percentile by nearest rank, ≤ 0: the highest
	BenchmarkTarget     = "target"     // X per month of the period
)

// Benchmark is an indicator's full-marks value rule, parsed from the rules' text: an
// indicator scores weight × min(1, value / benchmark), a negative value counting as 0, and
// 0 for everyone when the benchmark is ≤ 0.
type Benchmark struct {
	Mode string // BenchmarkMax, BenchmarkPercentile or BenchmarkTarget
	// P is the percentile (1–100) of BenchmarkPercentile: the value at 1-based position
	// ⌈P/100 × N⌉ of the cohort's N values sorted ascending.
	P int
	// PerMonth is the target of BenchmarkTarget per month, in hundredths (20 is 2000).
	PerMonth int64
}

// ParseBenchmark reads "max", "pNN" (NN a whole number from 1 to 100, e.g. "p80") or
// "target:X" (X > 0 per month, at most two decimals, e.g. "target:20").
func ParseBenchmark(s string) (Benchmark, error) {
	bad := func() (Benchmark, error) {
		return Benchmark{}, fmt.Errorf("benchmark %q: want max, pNN (NN from 1 to 100, e.g. p80) or target:X (X > 0 a month, e.g. target:20)", s)
	}
	switch {
	case s == "max":
		return Benchmark{Mode: BenchmarkMax}, nil
	case strings.HasPrefix(s, "p"):
		n, err := strconv.Atoi(s[1:])
		if err != nil || n < 1 || n > 100 || strconv.Itoa(n) != s[1:] {
			return bad()
		}
		return Benchmark{Mode: BenchmarkPercentile, P: n}, nil
	case strings.HasPrefix(s, "target:"):
		x := strings.TrimSpace(s[len("target:"):])
		whole, frac, _ := strings.Cut(x, ".")
		if whole == "" || len(frac) > 2 || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" || len(whole) > 12 {
			return bad()
		}
		frac += strings.Repeat("0", 2-len(frac))
		v, _ := strconv.ParseInt(whole+frac, 10, 64)
		if v <= 0 {
			return bad()
		}
		return Benchmark{Mode: BenchmarkTarget, PerMonth: v}, nil
	}
	return bad()
}

// String writes the benchmark as the rules do: "max", "p80", "target:20".
func (b Benchmark) String() string {
	switch b.Mode {
	case BenchmarkPercentile:
		return "p" + strconv.Itoa(b.P)
	case BenchmarkTarget:
		return "target:" + strings.TrimSuffix(strings.TrimSuffix(Hundredths(b.PerMonth), "0"), ".0")
	}
	return b.Mode
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

// Ranking is a force's appraisal for a period: every member of the cohort in rank order,
// with the rules and data it was computed from. A Ranking from the engine is shared by
// its cache: treat it as read-only.
type Ranking struct {
	Force         Force           `json:"force"`
	ForceName     string          `json:"force_name"`
	Period        string          `json:"period"`
	Months        []string        `json:"months"`
	MissingMonths []string        `json:"missing_months"` // months with no accepted submission
	RulesVersion  string          `json:"rules_version"`
	QuotaScope    string          `json:"quota_scope"` // QuotaCity or QuotaDistrict
	Rules         *ForceRules     `json:"-"`
	Indicators    []IndicatorInfo `json:"indicators"`
	Members       []Member        `json:"members"`
	ComputedAt    time.Time       `json:"computed_at"`
	KeyKind       KeyKind         `json:"key_kind"`
}

// IndicatorInfo describes one scored indicator of a ranking: how its points were given, so
// that a member can recompute them as weight × min(1, max(value, 0) / Benchmark) when
// Benchmark > 0, and 0 otherwise. Values are decimal text with two decimals (money in 元).
type IndicatorInfo struct {
	Name   string `json:"name"`
	Weight string `json:"weight"`
	// BenchmarkRule is the rule as the rules file writes it: "max", "p80", "target:20".
	BenchmarkRule string `json:"benchmark_rule"`
	// BenchmarkMode is BenchmarkMax, BenchmarkPercentile or BenchmarkTarget.
	BenchmarkMode string `json:"benchmark_mode"`
	// Benchmark is the value that earns the full weight in this ranking: the highest value,
	// the percentile's value (or the highest, when it fell back), or the target × months.
	Benchmark string `json:"benchmark"`
	// BenchmarkPosition is, for a percentile, the 1-based position ⌈P/100 × N⌉ in the
	// cohort's values sorted ascending (negatives as 0); 0 otherwise.
	BenchmarkPosition int `json:"benchmark_position,omitempty"`
	// BenchmarkFallback is set when a percentile was ≤ 0 and the highest value was used.
	BenchmarkFallback bool   `json:"benchmark_fallback,omitempty"`
	Best              string `json:"best"` // the cohort's highest value
	Money             bool   `json:"money"`
	// Missing counts the members with no value for the indicator in a month they were
	// present in (a submission made before the template had the column): they are scored on
	// what they have, and named in Member.Missing.
	Missing int `json:"missing"`
}

// Member is one member's appraisal. Key is the real key; mask it (MaskKey) before it
// reaches anyone but an administrator.
type Member struct {
	Rank         int    `json:"rank"`
	DistrictRank int    `json:"district_rank"`
	Key          string `json:"key"`
	Name         string `json:"name"`
	District     string `json:"district"`
	DistrictCode string `json:"district_code"`
	Score        string `json:"score"`
	Grade        string `json:"grade"`
	Vetoed       bool   `json:"vetoed"`
	VetoReason   string `json:"veto_reason,omitempty"`
	Months       int    `json:"months"`
	// Missing names the indicators the member has no value for in a month the member was
	// present in: reported, never silently read as 0 (their points count what there is).
	Missing []string `json:"missing,omitempty"`

	// Names are the ranking's indicators (one slice shared by every member), and Values and
	// PointValues each indicator's value and points × 100 in that order; ScoreHundredths is
	// the total × 100. Exact, for those who compute further; JSON shows them as
	// "indicators" and "points" objects, by standard header, with two decimals.
	Names           []string `json:"-"`
	Values          []int64  `json:"-"`
	PointValues     []int64  `json:"-"`
	ScoreHundredths int64    `json:"-"`
}

// IndicatorMap returns the member's indicator values by standard header, two decimals.
func (m *Member) IndicatorMap() map[string]string { return hundredthsMap(m.Names, m.Values) }

// PointMap returns the member's points per indicator by standard header, two decimals.
func (m *Member) PointMap() map[string]string { return hundredthsMap(m.Names, m.PointValues) }

func hundredthsMap(names []string, vs []int64) map[string]string {
	out := make(map[string]string, len(names))
	for i, n := range names {
		if i < len(vs) {
			out[n] = Hundredths(vs[i])
		}
	}
	return out
}

// MarshalJSON writes the member with its "indicators" and "points" objects.
func (m Member) MarshalJSON() ([]byte, error) {
	type plain Member // without this method
	return json.Marshal(struct {
		plain
		Indicators map[string]string `json:"indicators"`
		Points     map[string]string `json:"points"`
	}{plain(m), m.IndicatorMap(), m.PointMap()})
}

// Hundredths formats v/100 with two decimals: 1234 is "12.34", -5 is "-0.05".
func Hundredths(v int64) string {
	var buf [24]byte
	b := buf[:0]
	u := uint64(v)
	if v < 0 {
		b, u = append(b, '-'), -u
	}
	b = strconv.AppendUint(b, u/100, 10)
	return string(append(b, '.', byte('0'+u%100/10), byte('0'+u%10)))
}

// Scorecard explains one member's appraisal: each indicator's value, the cohort's best, the
// weight and the points, the veto if any, and the rows each value came from.
type Scorecard struct {
	Force         Force       `json:"force"`
	Period        string      `json:"period"`
	RulesVersion  string      `json:"rules_version"`
	CohortSize    int         `json:"cohort_size"`
	MissingMonths []string    `json:"missing_months"`
	Member        Member      `json:"member"`
	Lines         []ScoreLine `json:"lines"`
}

// ScoreLine is one indicator of a scorecard: the member's value, the benchmark it is
// measured against (as in IndicatorInfo), the weight and the points.
type ScoreLine struct {
	Indicator         string   `json:"indicator"`
	Value             string   `json:"value"`
	Missing           bool     `json:"missing,omitempty"` // no value in a month the member was present in
	BenchmarkRule     string   `json:"benchmark_rule"`
	BenchmarkMode     string   `json:"benchmark_mode"`
	Benchmark         string   `json:"benchmark"`
	BenchmarkPosition int      `json:"benchmark_position,omitempty"`
	BenchmarkFallback bool     `json:"benchmark_fallback,omitempty"`
	Best              string   `json:"best"`
	Weight            string   `json:"weight"`
	Points            string   `json:"points"`
	Sources           []Source `json:"sources"`
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

// Page is a filtered slice of a ranking.
type Page struct {
	Total   int      `json:"total"`
	Members []Member `json:"members"`
}

// Filter selects members of a ranking; empty fields match all.
type Filter struct {
	District string // district code
	Grade    string
	Query    string // part of the name (or, with MatchKey, of the key)
	MatchKey bool   // let Query match keys too: only for those who may see them
	Limit    int    // 0: all
	Offset   int
}

// Select returns the members that f selects, in rank order, and how many matched. It reads
// the ranking in memory only (see Positions).
func (r *Ranking) Select(f Filter) Page {
	idx, total := r.Positions(f)
	out := make([]Member, len(idx))
	for i, p := range idx {
		out[i] = r.Members[p]
	}
	return Page{Total: total, Members: out}
}

// Positions returns the indexes in r.Members of the members that f selects, in rank order,
// and how many matched before Offset and Limit: a member matches when it is in District,
// has Grade, and its name (or, with MatchKey, its key) contains Query; of the matches, Limit
// are kept (all when 0) after skipping Offset (a negative Offset is 0). It is the one
// definition of a ranking page, which Select, the API and the pages share.
func (r *Ranking) Positions(f Filter) ([]int, int) {
	ms := r.Members
	off := max(f.Offset, 0)
	if f.District == "" && f.Grade == "" && f.Query == "" {
		// No filter: the page is a window of the ranking.
		lo, hi := min(off, len(ms)), len(ms)
		if f.Limit > 0 {
			hi = min(lo+f.Limit, hi)
		}
		idx := make([]int, 0, hi-lo)
		for i := lo; i < hi; i++ {
			idx = append(idx, i)
		}
		return idx, len(ms)
	}
	idx := make([]int, 0, min(max(f.Limit, 0), 64))
	total := 0
	for i := range ms {
		m := &ms[i]
		if f.District != "" && m.DistrictCode != f.District ||
			f.Grade != "" && m.Grade != f.Grade ||
			f.Query != "" && !strings.Contains(f.name(m), f.Query) && !(f.MatchKey && strings.Contains(m.Key, f.Query)) {
			continue
		}
		total++
		if total <= off || f.Limit > 0 && len(idx) >= f.Limit {
			continue
		}
		idx = append(idx, i)
	}
	return idx, total
}

// name is m's name as the caller sees it: masked by pattern (MaskText) unless the caller
// may see keys, so that Query cannot test whether a 身份证号 hides in a name.
func (f Filter) name(m *Member) string {
	if f.MatchKey {
		return m.Name
	}
	return MaskText(m.Name)
}

// Member returns the member with key, or nil.
func (r *Ranking) Member(key string) *Member {
	for i := range r.Members {
		if r.Members[i].Key == key {
			return &r.Members[i]
		}
	}
	return nil
}

// Progress is the programme's state in a period against its published targets.
type Progress struct {
	Period       string             `json:"period"`
	RulesVersion string             `json:"rules_version"`
	City         []ProgressLine     `json:"city"`
	Districts    []DistrictProgress `json:"districts"`
}

// DistrictProgress is one district's totals.
type DistrictProgress struct {
	Code  string         `json:"code"`
	Name  string         `json:"name"`
	Lines []ProgressLine `json:"lines"`
}

// ProgressLine is one metric: villages, villages_reached, members:<force>, funds_yuan,
// projects, project_investment_yuan. Target and Percent are set for the city's metrics that
// have a published figure.
type ProgressLine struct {
	Metric  string `json:"metric"`
	Label   string `json:"label"`
	Actual  string `json:"actual"`
	Target  string `json:"target,omitempty"`
	Percent string `json:"percent,omitempty"` // actual / target × 100, two decimals
}
