package qiancun

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Month is a reporting period: one calendar month.
type Month struct {
	Year  int
	Month int // 1..12
}

// String formats m as YYYY-MM.
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, m.Month) }

// IsZero reports whether m is the zero Month (no period).
func (m Month) IsZero() bool { return m.Year == 0 && m.Month == 0 }

// Next returns the month after m.
func (m Month) Next() Month {
	if m.Month == 12 {
		return Month{m.Year + 1, 1}
	}
	return Month{m.Year, m.Month + 1}
}

var monthRE = regexp.MustCompile(`^(\d{4})-(\d{2})$`)

// ParseMonth parses YYYY-MM.
func ParseMonth(s string) (Month, error) {
	g := monthRE.FindStringSubmatch(strings.TrimSpace(s))
	if g == nil {
		return Month{}, fmt.Errorf("期间 %q 格式不对：应为 YYYY-MM", s)
	}
	y, _ := strconv.Atoi(g[1])
	mo, _ := strconv.Atoi(g[2])
	if mo < 1 || mo > 12 || y < 1900 || y > 2999 {
		return Month{}, fmt.Errorf("期间 %q 不是有效的月份", s)
	}
	return Month{y, mo}, nil
}

// PeriodKind says how long an appraisal period is.
type PeriodKind string

// The three appraisal period kinds.
const (
	MonthPeriod   PeriodKind = "month"
	QuarterPeriod PeriodKind = "quarter"
	YearPeriod    PeriodKind = "year"
)

// Period is an appraisal period: YYYY-MM, YYYY-Qn or YYYY. It sums the months inside it.
type Period struct {
	Kind PeriodKind
	Year int
	N    int // the month (1..12) or quarter (1..4); 0 for a year
}

var periodRE = regexp.MustCompile(`^(\d{4})(?:-(\d{2})|-[Qq]([1-4]))?$`)

// ParsePeriod parses YYYY-MM, YYYY-Qn or YYYY.
func ParsePeriod(s string) (Period, error) {
	s = strings.TrimSpace(s)
	g := periodRE.FindStringSubmatch(s)
	if g == nil {
		return Period{}, fmt.Errorf("期间 %q 格式不对：应为 YYYY-MM、YYYY-Qn 或 YYYY", s)
	}
	y, _ := strconv.Atoi(g[1])
	if y < 1900 || y > 2999 {
		return Period{}, fmt.Errorf("period %q: year out of range", s)
	}
	switch {
	case g[2] != "":
		m, err := ParseMonth(s)
		if err != nil {
			return Period{}, err
		}
		return Period{MonthPeriod, y, m.Month}, nil
	case g[3] != "":
		q, _ := strconv.Atoi(g[3])
		return Period{QuarterPeriod, y, q}, nil
	}
	return Period{YearPeriod, y, 0}, nil
}

// String formats p the way ParsePeriod reads it.
func (p Period) String() string {
	switch p.Kind {
	case MonthPeriod:
		return Month{p.Year, p.N}.String()
	case QuarterPeriod:
		return fmt.Sprintf("%04d-Q%d", p.Year, p.N)
	}
	return fmt.Sprintf("%04d", p.Year)
}

// Label writes p for a person, in Chinese: 2024年6月, 2024年第2季度, 2024年度. Pages and
// workbooks both use it, so a period reads the same everywhere.
func (p Period) Label() string {
	switch p.Kind {
	case MonthPeriod:
		return fmt.Sprintf("%d年%d月", p.Year, p.N)
	case QuarterPeriod:
		return fmt.Sprintf("%d年第%d季度", p.Year, p.N)
	}
	return fmt.Sprintf("%d年度", p.Year)
}

// PeriodLabel is ParsePeriod(s).Label(), or s unchanged when s is not a period (so a
// title never loses what it was given).
func PeriodLabel(s string) string {
	p, err := ParsePeriod(s)
	if err != nil {
		return s
	}
	return p.Label()
}

// Months returns the months inside p, in order.
func (p Period) Months() []Month {
	switch p.Kind {
	case MonthPeriod:
		return []Month{{p.Year, p.N}}
	case QuarterPeriod:
		first := (p.N-1)*3 + 1
		return []Month{{p.Year, first}, {p.Year, first + 1}, {p.Year, first + 2}}
	}
	ms := make([]Month, 12)
	for i := range ms {
		ms[i] = Month{p.Year, i + 1}
	}
	return ms
}

// MonthStrings returns Months formatted as YYYY-MM.
func (p Period) MonthStrings() []string {
	ms := p.Months()
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.String()
	}
	return out
}

// Previous returns the period of the same length just before p: 2024-06 gives 2024-05,
// 2024-01 gives 2023-12, 2024-Q1 gives 2023-Q4, 2024 gives 2023.
func (p Period) Previous() Period {
	switch p.Kind {
	case MonthPeriod, QuarterPeriod:
		n := 12
		if p.Kind == QuarterPeriod {
			n = 4
		}
		if p.N == 1 {
			return Period{p.Kind, p.Year - 1, n}
		}
		return Period{p.Kind, p.Year, p.N - 1}
	}
	return Period{YearPeriod, p.Year - 1, 0}
}
