package queries

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/qiancun/qiancun"
)

// cohortData is what the appraisal pack yields for a force and period, scanned into typed
// fields: one row per member, the values in the rules' indicator order.
type cohortData struct {
	rows []cohortRow
}

type cohortRow struct {
	key, name, districtCode string
	months                  int
	values                  []int64 // hundredths, in the rules' indicator order
	missing                 uint64  // bit i: indicator i lacks a value in a month the member is present in
}

// appraisalColumns are the columns of the appraisal pack, in order.
var appraisalColumns = []string{"key", "name", "district_code", "months", "rows", "values", "short"}

// scanCohort runs the appraisal pack for force over period with the rules' indicators and
// scans its rows into typed fields: far cheaper than the generic Result for hundreds of
// thousands of members.
func (p *Pack) scanCohort(ctx context.Context, db Querier, force qiancun.Force, period string, indicators []string) (*cohortData, error) {
	args, err := p.bind(map[string]string{"force": string(force), "period": period, "indicators": strings.Join(indicators, ",")})
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
	if !slices.Equal(cols, appraisalColumns) {
		return nil, fmt.Errorf("pack %s: query yields columns %s, the appraisal needs %s", p.Name,
			strings.Join(cols, ", "), strings.Join(appraisalColumns, ", "))
	}
	k := len(indicators)
	c := &cohortData{}
	var arena []int64 // the rows' values, allocated a chunk of rows at a time
	var (
		months, nrows, short int64
		vals                 []any
	)
	for rows.Next() {
		var r cohortRow
		if err := rows.Scan(&r.key, &r.name, &r.districtCode, &months, &nrows, &vals, &short); err != nil {
			return nil, fmt.Errorf("pack %s: %w", p.Name, err)
		}
		r.months = int(months)
		if len(arena) < k {
			arena = make([]int64, 4096*k)
		}
		r.values, arena = arena[:k:k], arena[k:]
		for i := range k {
			var x any
			if i < len(vals) {
				x = vals[i]
			}
			switch v := x.(type) {
			case int64:
				r.values[i] = v
			case nil:
				r.missing |= 1 << i // no value in any month: reported, not silently 0
			default:
				return nil, fmt.Errorf("pack %s: indicator %q: want BIGINT hundredths, got %T", p.Name, indicators[i], x)
			}
		}
		r.missing |= uint64(short)
		vals = vals[:0]
		c.rows = append(c.rows, r)
	}
	return c, rows.Err()
}

// benchmark is one indicator's benchmark in a ranking.
type benchmark struct {
	rule     qiancun.Benchmark
	value    int64 // hundredths; ≤ 0: everyone scores 0
	best     int64 // the cohort's highest value
	position int   // percentile: the 1-based position in the sorted values
	fallback bool  // percentile ≤ 0: the highest value was taken
}

// benchmarks computes each indicator's benchmark over the members' values, by the rules:
// max, the nearest-rank percentile (falling back to the highest value when ≤ 0) or the
// target × nMonths.
func benchmarks(fr *qiancun.ForceRules, members []qiancun.Member, nMonths int) ([]benchmark, error) {
	out := make([]benchmark, len(fr.Indicators))
	var sorted []int64
	for i, in := range fr.Indicators {
		b, err := qiancun.ParseBenchmark(in.Benchmark)
		if err != nil {
			return nil, fmt.Errorf("indicator %q: %w", in.Name, err)
		}
		bm := benchmark{rule: b}
		for r := range members {
			if v := members[r].Values[i]; r == 0 || v > bm.best {
				bm.best = v
			}
		}
		switch b.Mode {
		case qiancun.BenchmarkMax:
			bm.value = bm.best
		case qiancun.BenchmarkPercentile:
			n := len(members)
			if n == 0 {
				break
			}
			sorted = sorted[:0]
			for r := range members {
				sorted = append(sorted, max(members[r].Values[i], 0))
			}
			bm.position = (b.P*n + 99) / 100 // ⌈P/100 × N⌉, P and N whole
			bm.value = nth(sorted, bm.position-1)
			if bm.value <= 0 {
				bm.value, bm.fallback = bm.best, true
			}
		case qiancun.BenchmarkTarget:
			bm.value = b.PerMonth * int64(nMonths)
		}
		out[i] = bm
	}
	return out, nil
}

// nth returns the value that would be at index k of vs sorted ascending, reordering vs: a
// quickselect (Hoare's partition, middle pivot), linear on average where a sort is not.
func nth(vs []int64, k int) int64 {
	lo, hi := 0, len(vs)-1
	for lo < hi {
		p := vs[lo+(hi-lo)/2]
		i, j := lo, hi
		for i <= j {
			for vs[i] < p {
				i++
			}
			for vs[j] > p {
				j--
			}
			if i <= j {
				vs[i], vs[j] = vs[j], vs[i]
				i++
				j--
			}
		}
		// Now vs[lo..j] ≤ p ≤ vs[i..hi], and every index strictly between j and i holds p.
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return vs[k]
		}
	}
	return vs[k]
}

// appraise scores, ranks and grades the cohort under fr.
func appraise(fr *qiancun.ForceRules, c *cohortData, nMonths int) ([]qiancun.Member, []qiancun.IndicatorInfo, error) {
	k := len(fr.Indicators)
	names := make([]string, k)
	for i, in := range fr.Indicators {
		names[i] = in.Name
	}
	members := make([]qiancun.Member, len(c.rows))
	missing := make([]int, k)
	for r := range c.rows {
		row := &c.rows[r]
		if len(row.values) != k {
			return nil, nil, fmt.Errorf("member %d: %d values for %d indicators", r, len(row.values), k)
		}
		m := &members[r]
		m.Key, m.Name, m.DistrictCode, m.Months = row.key, row.name, row.districtCode, row.months
		m.District = qiancun.DistrictName(m.DistrictCode)
		m.Values = row.values
		if row.missing != 0 {
			for i := range k {
				if row.missing&(1<<i) != 0 {
					m.Missing = append(m.Missing, names[i])
					missing[i]++
				}
			}
		}
	}
	bms, err := benchmarks(fr, members, nMonths)
	if err != nil {
		return nil, nil, err
	}

	// Exact scoring. Indicator i gives w_i × min(v_i, B_i) / B_i with v_i counted from 0 and
	// w_i = wN_i / wD_i, or 0 when B_i ≤ 0. Over the common denominator den = Π wD_i × B_i
	// (the same for every member) that is coef_i × min(v_i, B_i) / den with
	// coef_i = wN_i × den / (wD_i × B_i), a whole number; the total × 100 is rounded half
	// away from zero once.
	weights := make([]*big.Rat, k)
	for i, in := range fr.Indicators {
		weights[i], _ = new(big.Rat).SetString(strconv.FormatFloat(in.Weight, 'f', -1, 64))
	}
	den := big.NewInt(1)
	for i := range k {
		if bms[i].value > 0 {
			den.Mul(den, big.NewInt(bms[i].value))
			den.Mul(den, weights[i].Denom())
		}
	}
	coef := make([]*big.Int, k)
	for i := range k {
		coef[i] = new(big.Int)
		if bms[i].value <= 0 {
			continue
		}
		coef[i].Mul(weights[i].Num(), den)
		coef[i].Quo(coef[i], big.NewInt(bms[i].value))
		coef[i].Quo(coef[i], weights[i].Denom())
	}
	num, term, q, rem := new(big.Int), new(big.Int), new(big.Int), new(big.Int)
	hundred := big.NewInt(100)
	for r := range members {
		m := &members[r]
		num.SetInt64(0)
		for i := range k {
			v := min(max(m.Values[i], 0), bms[i].value)
			if v <= 0 {
				continue
			}
			term.SetInt64(v)
			term.Mul(term, coef[i])
			num.Add(num, term)
		}
		num.Mul(num, hundred)
		q.QuoRem(num, den, rem)
		rem.Lsh(rem, 1)
		if rem.Cmp(den) >= 0 {
			q.Add(q, big.NewInt(1))
		}
		m.ScoreHundredths = q.Int64()
	}

	infos := make([]qiancun.IndicatorInfo, k)
	for i, in := range fr.Indicators {
		b := bms[i]
		infos[i] = qiancun.IndicatorInfo{Name: in.Name, Weight: weights[i].FloatString(2),
			BenchmarkRule: b.rule.String(), BenchmarkMode: b.rule.Mode, Benchmark: hundredths(max(b.value, 0)),
			BenchmarkPosition: b.position, BenchmarkFallback: b.fallback, Best: hundredths(b.best),
			Money: in.Money, Missing: missing[i]}
	}
	// Points per indicator, exactly: round(100 × w × min(v, B) / B) in 128-bit integers.
	// The quotient is at most 100 × the weight.
	pNum := make([]uint64, k) // 100 × weight numerator
	pDen := make([]uint64, k) // weight denominator × benchmark
	for i := range k {
		if bms[i].value > 0 && weights[i].Num().IsUint64() && weights[i].Denom().IsUint64() && weights[i].Num().Uint64() < math.MaxUint64/100 {
			hi, lo := bits.Mul64(weights[i].Denom().Uint64(), uint64(bms[i].value))
			if hi == 0 {
				pNum[i], pDen[i] = 100*weights[i].Num().Uint64(), lo
			}
		}
	}
	pointArena := make([]int64, len(members)*k) // one allocation for every member's points
	var vetoLimit int64
	if fr.Veto != nil {
		// v < min_per_month × months, v whole hundredths: v < ⌈100 × min_per_month × months⌉.
		l, _ := new(big.Rat).SetString(strconv.FormatFloat(fr.Veto.MinPerMonth, 'f', -1, 64))
		vetoLimit = ceilRat(l.Mul(l, big.NewRat(100*int64(nMonths), 1)))
	}
	vi := -1
	if fr.Veto != nil {
		vi = slices.Index(names, fr.Veto.Indicator)
	}
	for r := range members {
		m := &members[r]
		m.Score = hundredths(m.ScoreHundredths)
		m.Names = names
		m.PointValues = pointArena[r*k : (r+1)*k : (r+1)*k]
		for i := range k {
			v := min(max(m.Values[i], 0), bms[i].value)
			switch {
			case v <= 0:
			case pDen[i] != 0:
				hi, lo := bits.Mul64(uint64(v), pNum[i])
				q, rem := bits.Div64(hi, lo, pDen[i])
				if rem >= pDen[i]-rem { // 2·rem ≥ den without overflow: half away from zero
					q++
				}
				m.PointValues[i] = int64(q)
			default:
				m.PointValues[i] = points(weights[i], v, bms[i].value)
			}
		}
		if vi >= 0 {
			if v := m.Values[vi]; v < vetoLimit {
				m.Vetoed = true
				m.VetoReason = fmt.Sprintf("%s：考核期内%s为%s，低于%d个月×%g=%s", fr.Veto.Reason, fr.Veto.Indicator,
					hundredths(v), nMonths, fr.Veto.MinPerMonth, hundredths(vetoLimit))
			}
		}
	}
	rankAndGrade(fr, members)
	return members, infos, nil
}

// ceilRat is ⌈r⌉ for an r that fits an int64.
func ceilRat(r *big.Rat) int64 {
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if m.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return q.Int64()
}

// ratOf is the float as the rules file wrote it (its shortest decimal form), exactly.
func ratOf(f float64) *big.Rat {
	r, _ := new(big.Rat).SetString(strconv.FormatFloat(f, 'f', -1, 64))
	return r
}

// rankAndGrade orders members by score (then key, for a stable order), gives ranks with
// shared places (1, 2, 2, 4) in the city and in each district, and grades them.
func rankAndGrade(fr *qiancun.ForceRules, members []qiancun.Member) {
	// Sort a permutation, not the members themselves (a Member is large to swap), packed
	// as (score, index) in one integer; then order each run of equal scores by key.
	perm := make([]uint64, len(members))
	for i := range members {
		perm[i] = uint64(math.MaxInt32-members[i].ScoreHundredths)<<32 | uint64(i)
	}
	slices.Sort(perm)
	// Move each member to its place in place, a cycle of the permutation at a time: no
	// second copy of the cohort.
	src := make([]int32, len(perm)) // src[i]: the member that goes to place i
	for i, p := range perm {
		src[i] = int32(uint32(p))
	}
	for start := range src {
		if src[start] < 0 || int(src[start]) == start {
			continue
		}
		tmp := members[start]
		i := start
		for {
			from := int(src[i])
			src[i] = -1
			if from == start {
				members[i] = tmp
				break
			}
			members[i] = members[from]
			i = from
		}
	}
	for i := 0; i < len(members); {
		j := i + 1
		for j < len(members) && members[j].ScoreHundredths == members[i].ScoreHundredths {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(members[i:j], func(a, b qiancun.Member) int { return strings.Compare(a.Key, b.Key) })
		}
		i = j
	}
	byDistrict := map[string][2]int64{} // district -> {members seen, last rank}
	lastScore := map[string]int64{}
	for i := range members {
		m := &members[i]
		if i > 0 && members[i-1].ScoreHundredths == m.ScoreHundredths {
			m.Rank = members[i-1].Rank
		} else {
			m.Rank = i + 1
		}
		d := byDistrict[m.DistrictCode]
		d[0]++
		if d[0] > 1 && lastScore[m.DistrictCode] == m.ScoreHundredths {
			m.DistrictRank = int(d[1])
		} else {
			m.DistrictRank = int(d[0])
			d[1] = d[0]
		}
		byDistrict[m.DistrictCode] = d
		lastScore[m.DistrictCode] = m.ScoreHundredths
	}

	g := fr.Grades
	// Thresholds in hundredths: score ≥ g ⟺ score × 100 ≥ ⌈100 g⌉, the score being whole
	// hundredths.
	excellent := ceilRat(new(big.Rat).Mul(ratOf(g.Excellent), big.NewRat(100, 1)))
	competent := ceilRat(new(big.Rat).Mul(ratOf(g.Competent), big.NewRat(100, 1)))
	incompetent := ceilRat(new(big.Rat).Mul(ratOf(g.Incompetent), big.NewRat(100, 1)))
	quota := ratOf(fr.Quota)
	if fr.QuotaScope == qiancun.QuotaDistrict {
		byD := map[string][]int{}
		for i := range members {
			byD[members[i].DistrictCode] = append(byD[members[i].DistrictCode], i)
		}
		for _, idx := range byD {
			award(members, idx, quotaOf(quota, len(idx)), excellent)
		}
	} else {
		idx := make([]int, len(members))
		for i := range idx {
			idx[i] = i
		}
		award(members, idx, quotaOf(quota, len(members)), excellent)
	}
	for i := range members {
		m := &members[i]
		switch {
		case m.Grade == qiancun.GradeExcellent:
		case m.Vetoed || m.ScoreHundredths < incompetent:
			m.Grade = qiancun.GradeIncompetent
		case m.ScoreHundredths < competent:
			m.Grade = qiancun.GradeBasic
		default:
			m.Grade = qiancun.GradeCompetent
		}
	}
}

// quotaOf is ⌊share × n⌋, exactly.
func quotaOf(share *big.Rat, n int) int {
	x := new(big.Int).Mul(share.Num(), big.NewInt(int64(n)))
	return int(x.Quo(x, share.Denom()).Int64())
}

// award gives 优秀 within quota places to the members idx (indices into members, in rank
// order): walk the eligible ones (score ≥ excellent, not vetoed) a group of equal totals at
// a time; a group that fits what is left of the quota is 优秀; the first that would cross it
// is left out whole, and so is everyone after it.
func award(members []qiancun.Member, idx []int, quota int, excellent int64) {
	left := quota
	for a := 0; a < len(idx); {
		b := a
		for b < len(idx) && members[idx[b]].ScoreHundredths == members[idx[a]].ScoreHundredths {
			b++
		}
		eligible := 0
		for _, x := range idx[a:b] {
			if !members[x].Vetoed && members[x].ScoreHundredths >= excellent {
				eligible++
			}
		}
		if eligible > 0 {
			if eligible > left {
				return
			}
			for _, x := range idx[a:b] {
				if !members[x].Vetoed && members[x].ScoreHundredths >= excellent {
					members[x].Grade = qiancun.GradeExcellent
				}
			}
			left -= eligible
		}
		a = b
	}
}

// points is weight × v / b × 100, rounded half away from zero: the slow path, for weights
// too large for 64-bit arithmetic.
func points(w *big.Rat, v, b int64) int64 {
	if b <= 0 || v <= 0 {
		return 0
	}
	r := new(big.Rat).Mul(w, big.NewRat(v, b))
	n, _ := strconv.ParseInt(strings.Replace(roundRat2(r), ".", "", 1), 10, 64)
	return n
}

// roundRat2 formats r rounded half away from zero to two decimals.
func roundRat2(r *big.Rat) string {
	n := new(big.Int).Mul(r.Num(), big.NewInt(100))
	q, m := new(big.Int).QuoRem(n, r.Denom(), new(big.Int))
	m.Lsh(m.Abs(m), 1)
	if m.Cmp(r.Denom()) >= 0 {
		if n.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return hundredths(q.Int64())
}

// hundredths formats v/100 with two decimals.
func hundredths(v int64) string { return qiancun.Hundredths(v) }

// asInt64 reads a pack value of hundredths.
func asInt64(v any) (int64, error) {
	switch x := v.(type) {
	case nil:
		return 0, nil
	case int64:
		return x, nil
	case string:
		return strconv.ParseInt(x, 10, 64)
	}
	return 0, fmt.Errorf("want a whole number of hundredths, got %T", v)
}
