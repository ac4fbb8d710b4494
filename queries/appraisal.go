package queries

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/qiancun/qiancun"
)

// cohortData is what a force's appraisal pack yields, scanned into typed fields.
type cohortData struct {
	pack    string
	columns []string // the indicator columns, in the pack's order
	rows    []cohortRow
}

type cohortRow struct {
	key, name, districtCode string
	months                  int
	values                  []int64 // hundredths, in columns order
}

// scanCohort runs a force's appraisal pack and scans its rows into typed fields: far
// cheaper than the generic Result for hundreds of thousands of members.
func (p *Pack) scanCohort(ctx context.Context, db Querier, period string) (*cohortData, error) {
	args, err := p.bind(map[string]string{"period": period})
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
	if len(cols) != len(p.Columns) || len(cols) < len(memberColumns) {
		return nil, fmt.Errorf("pack %s: query yields %d columns, manifest declares %d", p.Name, len(cols), len(p.Columns))
	}
	c := &cohortData{pack: p.Name}
	for _, col := range p.Columns[len(memberColumns):] {
		c.columns = append(c.columns, col.Name)
	}
	k := len(c.columns)
	var arena []int64 // the rows' values, allocated a chunk of rows at a time
	dest := make([]any, len(cols))
	var nrows int64
	vals := make([]sql.NullInt64, k)
	for rows.Next() {
		var r cohortRow
		var months int64
		dest[0], dest[1], dest[2], dest[3], dest[4] = &r.key, &r.name, &r.districtCode, &months, &nrows
		for i := range vals {
			dest[len(memberColumns)+i] = &vals[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("pack %s: %w", p.Name, err)
		}
		r.months = int(months)
		if len(arena) < k {
			arena = make([]int64, 4096*k)
		}
		r.values, arena = arena[:k:k], arena[k:]
		for i, v := range vals {
			r.values[i] = v.Int64
		}
		c.rows = append(c.rows, r)
	}
	return c, rows.Err()
}

// appraise scores, ranks and grades the cohort under fr.
func appraise(fr *qiancun.ForceRules, c *cohortData, nMonths int) ([]qiancun.Member, []qiancun.IndicatorInfo, error) {
	k := len(fr.Indicators)
	idx := make([]int, k)
	for i, in := range fr.Indicators {
		j := slices.Index(c.columns, in.Name)
		if j < 0 {
			return nil, nil, fmt.Errorf("indicator %q: the pack %s yields no such column", in.Name, c.pack)
		}
		idx[i] = j
	}
	identity := len(c.columns) == k
	for i, j := range idx {
		identity = identity && i == j
	}
	members := make([]qiancun.Member, len(c.rows))
	best := make([]int64, k)
	for r := range c.rows {
		row := &c.rows[r]
		m := &members[r]
		m.Key, m.Name, m.DistrictCode, m.Months = row.key, row.name, row.districtCode, row.months
		m.District = qiancun.DistrictName(m.DistrictCode)
		if identity {
			m.Values = row.values // the rules score the pack's columns in its own order
		} else {
			m.Values = make([]int64, k)
		}
		for i, j := range idx {
			v := row.values[j]
			m.Values[i] = v
			if r == 0 || v > best[i] {
				best[i] = v
			}
		}
	}

	// Exact scoring. Each indicator's points are weight × max(v, 0) / best, so the total ×
	// 100 is Σ W_i·v_i / b_i with W_i the weight in hundredths... computed over the common
	// denominator D = Π b_i (the best values are the same for every member), and rounded
	// half away from zero once.
	weights := make([]*big.Rat, k)
	for i, in := range fr.Indicators {
		weights[i], _ = new(big.Rat).SetString(strconv.FormatFloat(in.Weight, 'f', -1, 64))
	}
	// wNum/wDen: weight as a fraction; coef_i = wNum_i × D / (b_i × wDen_i) over a common
	// denominator den = D (weights' denominators folded into num via lcm).
	den := big.NewInt(1)
	for i := range k {
		if best[i] > 0 {
			den.Mul(den, big.NewInt(best[i]))
		}
		den.Mul(den, weights[i].Denom())
	}
	coef := make([]*big.Int, k)
	for i := range k {
		if best[i] <= 0 {
			coef[i] = new(big.Int)
			continue
		}
		c := new(big.Int).Mul(weights[i].Num(), den)
		c.Quo(c, big.NewInt(best[i]))
		c.Quo(c, weights[i].Denom())
		coef[i] = c
	}
	// score×100 = round(100 × Σ coef_i × v_i / den)
	num, term, q, rem := new(big.Int), new(big.Int), new(big.Int), new(big.Int)
	hundredDen := new(big.Int).Set(den)
	for r := range members {
		m := &members[r]
		num.SetInt64(0)
		for i := range k {
			v := max(m.Values[i], 0)
			if v == 0 || coef[i].Sign() == 0 {
				continue
			}
			term.SetInt64(v)
			term.Mul(term, coef[i])
			num.Add(num, term)
		}
		num.Mul(num, big.NewInt(100))
		q.QuoRem(num, hundredDen, rem)
		rem.Lsh(rem, 1)
		if rem.CmpAbs(hundredDen) >= 0 {
			q.Add(q, big.NewInt(1))
		}
		m.ScoreHundredths = q.Int64()
	}

	infos := make([]qiancun.IndicatorInfo, k)
	for i, in := range fr.Indicators {
		infos[i] = qiancun.IndicatorInfo{Name: in.Name, Weight: weights[i].FloatString(2), Best: hundredths(best[i])}
	}
	// Points per indicator, exactly: round(100 × w × v / best) in 128-bit integers. The
	// quotient is at most 100 × the weight, since v ≤ best.
	pNum := make([]uint64, k) // 100 × weight numerator
	pDen := make([]uint64, k) // weight denominator × best
	for i := range k {
		if best[i] > 0 && weights[i].Num().IsUint64() && weights[i].Denom().IsUint64() {
			hi, lo := bits.Mul64(weights[i].Denom().Uint64(), uint64(best[i]))
			if hi == 0 {
				pNum[i], pDen[i] = 100*weights[i].Num().Uint64(), lo
			}
		}
	}
	names := make([]string, k)
	for i, in := range fr.Indicators {
		names[i] = in.Name
	}
	pointArena := make([]int64, len(members)*k) // one allocation for every member's points
	for r := range members {
		m := &members[r]
		m.Score = hundredths(m.ScoreHundredths)
		m.Names = names
		m.PointValues = pointArena[r*k : (r+1)*k : (r+1)*k]
		for i := range k {
			v := max(m.Values[i], 0)
			switch {
			case v == 0 || best[i] <= 0:
			case pDen[i] != 0:
				hi, lo := bits.Mul64(uint64(v), pNum[i])
				q, rem := bits.Div64(hi, lo, pDen[i])
				if rem >= pDen[i]-rem { // 2·rem ≥ den without overflow: half away from zero
					q++
				}
				m.PointValues[i] = int64(q)
			default:
				m.PointValues[i] = points(weights[i], v, best[i])
			}
		}
		if fr.Veto != nil {
			vi := slices.IndexFunc(fr.Indicators, func(w qiancun.Weighted) bool { return w.Name == fr.Veto.Indicator })
			var v int64
			if vi >= 0 {
				v = m.Values[vi]
			}
			limit := int64(fr.Veto.MinPerMonth*100+0.5) * int64(nMonths)
			if v < limit {
				m.Vetoed = true
				m.VetoReason = fmt.Sprintf("%s：考核期内%s为%s，低于%d个月×%g=%s", fr.Veto.Reason, fr.Veto.Indicator,
					hundredths(v), nMonths, fr.Veto.MinPerMonth, hundredths(limit))
			}
		}
	}
	rankAndGrade(fr, members)
	return members, infos, nil
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
	excellent, competent, incompetent := int64(g.Excellent*100+0.5), int64(g.Competent*100+0.5), int64(g.Incompetent*100+0.5)
	quota := int(fr.Quota*float64(len(members)) + 1e-9)
	// 优秀: walk the eligible members in rank order a tied group at a time; a group that fits
	// what is left of the quota is 优秀; the first that would cross it is left out whole,
	// and so is everyone after it.
	left, open := quota, true
	for i := 0; i < len(members); {
		j := i
		for j < len(members) && members[j].ScoreHundredths == members[i].ScoreHundredths {
			j++
		}
		var group []int
		for x := i; x < j; x++ {
			if !members[x].Vetoed && members[x].ScoreHundredths >= excellent {
				group = append(group, x)
			}
		}
		if open && len(group) > 0 {
			if len(group) <= left {
				for _, x := range group {
					members[x].Grade = qiancun.GradeExcellent
				}
				left -= len(group)
			} else {
				open = false
			}
		}
		i = j
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

// points is weight × v / best × 100, rounded half away from zero: the slow path, for
// weights too large for 64-bit arithmetic.
func points(w *big.Rat, v, best int64) int64 {
	if best <= 0 || v <= 0 {
		return 0
	}
	r := new(big.Rat).Mul(w, big.NewRat(v, best))
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
