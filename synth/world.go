package synth

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/qiancun/qiancun"
)

// Scale is how much data Generate writes.
type Scale int

// The three scales.
const (
	// Demo reproduces the published figures exactly.
	Demo Scale = iota
	// City is three times the demo.
	City
	// National has about 500,000 villages and 200,000 first secretaries, the other forces in
	// the demo's proportion to the first secretaries.
	National
)

// String returns the scale's name as ParseScale reads it.
func (s Scale) String() string {
	switch s {
	case Demo:
		return "demo"
	case City:
		return "city"
	case National:
		return "national"
	}
	return "Scale(" + strconv.Itoa(int(s)) + ")"
}

// ParseScale parses demo, city or national.
func ParseScale(s string) (Scale, error) {
	for _, sc := range []Scale{Demo, City, National} {
		if sc.String() == s {
			return sc, nil
		}
	}
	return 0, fmt.Errorf("scale %q: want demo, city or national", s)
}

// nForces is the number of forces; member slices are indexed as qiancun.Forces() lists them.
const nForces = 7

// fenPerWan is one 万元 in fen.
const fenPerWan = 1_000_000

// The published figures the demo reproduces, with the demo's own picks for finance (320) and
// tech (460), in qiancun.Forces() order.
const (
	demoVillages = 2429
	demoProjects = 1430
	demoFundsWan = 28_000
)

func demoMembers() [nForces]int { return [nForces]int{2383, 1625, 320, 388, 190, 460, 100} }

// demoDistrictVillages spreads the 2,429 villages over the districts in qiancun.Districts()
// order: few in the city centre, most in the rural districts.
func demoDistrictVillages() []int {
	return []int{10, 40, 40, 40, 250, 250, 380, 300, 340, 100, 230, 449}
}

// sizes are the counts one scale generates.
type sizes struct {
	villages int
	members  [nForces]int
	projects int
	funds    int64 // the first secretaries' 协调资金 over all months, in fen
	perTown  int   // villages per town, on average
}

func sizesFor(s Scale) (sizes, error) {
	demo := sizes{villages: demoVillages, members: demoMembers(), projects: demoProjects, funds: demoFundsWan * fenPerWan, perTown: 16}
	switch s {
	case Demo:
		return demo, nil
	case City:
		c := demo
		c.villages *= 3
		for i := range c.members {
			c.members[i] *= 3
		}
		c.projects *= 3
		c.funds *= 3
		return c, nil
	case National:
		const fs, villages = 200_000, 500_000
		n := sizes{villages: villages, perTown: 60}
		for i, m := range demo.members {
			n.members[i] = roundDiv(m*fs, demo.members[0])
		}
		n.projects = roundDiv(demoProjects*villages, demoVillages)
		n.funds = int64(roundDiv(demoFundsWan*fs, demo.members[0])) * fenPerWan
		return n, nil
	}
	return sizes{}, fmt.Errorf("unknown scale %d", int(s))
}

func roundDiv(a, b int) int { return (2*a + b) / (2 * b) }

// newRand returns a generator for one purpose (label, and the numbers n) of a seed, so that
// each file's content depends on the seed and on nothing written before it.
func newRand(seed int64, label string, n ...int) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(label))
	for _, x := range n {
		h.Write([]byte{0, byte(x), byte(x >> 8), byte(x >> 16), byte(x >> 24)})
	}
	return rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
}

// Village is one assisted village as the registry (帮扶村名册) lists it.
type Village struct {
	Code     string // 村代码: 12 digits, district (6) + town (3) + village (3)
	District string // 区县
	Town     string // 镇街
	Name     string // 村名
	Zone     string // 管理主体: "" or 高新区, 南部山区, 起步区
}

// town is one 镇/街道 with at least one assisted village.
type town struct {
	code        string // 9 digits
	name        string
	first, size int // its villages are villages[first:first+size]
}

// Villages returns the registry of a scale for a seed, sorted by code; Generate writes the
// same villages into 帮扶村名册.xlsx.
func Villages(scale Scale, seed int64) ([]Village, error) {
	sz, err := sizesFor(scale)
	if err != nil {
		return nil, err
	}
	vs, _, err := buildVillages(sz, seedOrDefault(seed))
	return vs, err
}

func seedOrDefault(seed int64) int64 {
	if seed == 0 {
		return 1
	}
	return seed
}

// zoneOdds says which 管理主体 may run some towns of a district, and how often.
func zoneOdds(district string) []struct {
	zone string
	p    float64
} {
	type z = struct {
		zone string
		p    float64
	}
	switch district {
	case "370112":
		return []z{{"高新区", 0.06}, {"南部山区", 0.08}}
	case "370103":
		return []z{{"南部山区", 0.15}}
	case "370113":
		return []z{{"南部山区", 0.08}}
	case "370105":
		return []z{{"起步区", 0.3}}
	case "370115":
		return []z{{"起步区", 0.1}}
	case "370114":
		return []z{{"高新区", 0.05}}
	}
	return nil
}

func buildVillages(sz sizes, seed int64) ([]Village, []town, error) {
	r := newRand(seed, "villages")
	p := newPools()
	districts := qiancun.Districts()
	counts := apportion(sz.villages, demoDistrictVillages())
	villages := make([]Village, 0, sz.villages)
	var towns []town
	for d, dist := range districts {
		n := counts[d]
		if n == 0 {
			continue
		}
		t := min(n, 900, max(1, (n+sz.perTown-1)/sz.perTown)) // 900: the codes have 3 digits
		share := 0.12
		if dist.Code <= "370105" {
			share = 0.8 // the city centre has streets, not towns
		}
		streets := min(t, 99, int(math.Round(float64(t)*share)))
		streets = max(streets, t-898)
		if streets < 0 || streets > 99 {
			return nil, nil, fmt.Errorf("district %s: %d towns do not fit 3-digit codes", dist.Code, t)
		}
		weights := make([]int, t)
		for i := range weights {
			weights[i] = 40 + r.IntN(121)
		}
		townSizes := apportionMin1(n, weights)
		names := map[string]bool{}
		odds := zoneOdds(dist.Code)
		for k := 0; k < t; k++ {
			num, suffix := 101+k-streets, "镇"
			if k < streets {
				num, suffix = k+1, "街道"
			}
			var name string
			for try := 0; ; try++ {
				name = p.place(r)
				if try > 20 {
					name += pick(r, p.placeB)
				}
				if !names[name] {
					break
				}
			}
			names[name] = true
			name += suffix
			zone := ""
			for _, o := range odds {
				if r.Float64() < o.p {
					zone = o.zone
					break
				}
			}
			size := townSizes[k]
			base := 200 // 村民委员会 codes start at 201
			if size > 799 {
				base = 0
			}
			if base+size > 999 {
				return nil, nil, fmt.Errorf("town %s%03d: %d villages do not fit 3-digit codes", dist.Code, num, size)
			}
			tw := town{code: fmt.Sprintf("%s%03d", dist.Code, num), name: name, first: len(villages), size: size}
			vnames := map[string]bool{}
			for j := 0; j < size; j++ {
				var vn string
				for try := 0; ; try++ {
					vn = p.village(r)
					if try > 30 {
						vn += pick(r, []string{"一", "二", "三", "四", "五"})
					}
					if !vnames[vn] || try > 40 {
						break
					}
				}
				vnames[vn] = true
				villages = append(villages, Village{
					Code:     fmt.Sprintf("%s%03d", tw.code, base+j+1),
					District: dist.Name,
					Town:     name,
					Name:     vn + "村",
					Zone:     zone,
				})
			}
			towns = append(towns, tw)
		}
	}
	return villages, towns, nil
}

// apportion splits total in proportion to weights, by largest remainder.
func apportion(total int, weights []int) []int {
	sum := 0
	for _, w := range weights {
		sum += w
	}
	out := make([]int, len(weights))
	rem := make([]int, len(weights))
	left := total
	for i, w := range weights {
		out[i] = total * w / sum
		rem[i] = total * w % sum
		left -= out[i]
	}
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rem[order[a]] > rem[order[b]] })
	for i := 0; left > 0; i++ {
		out[order[i%len(order)]]++
		left--
	}
	return out
}

// apportionMin1 is apportion with at least one for each weight (total ≥ len(weights)).
func apportionMin1(total int, weights []int) []int {
	out := apportion(total-len(weights), weights)
	for i := range out {
		out[i]++
	}
	return out
}

// member is one member of a force, stable across months.
type member struct {
	key      string // 身份证号, or 统一社会信用代码 for an enterprise
	name     string // 姓名 or 企业名称
	unit     string // 派出单位, 所属银行, 所属单位, 层级 (tech), 联建方式 (enterprise)
	field    string // 专业领域 (tech), 专业 (culture); may be empty
	modes    []string
	villages []int32 // indices into the registry; the first decides the member's district
	town     int32   // postal: index into the towns
	vigor    float64 // how active the member is, 0.8–1.2, or starVigor for a star
	low      bool    // a first secretary who is rarely in the village (the veto bites)
}

// project is one row of the industrial-projects ledger.
type project struct {
	id, name string
	village  int32
	lead     string
	invest   int64 // fen
	status   string
	start    time.Time // zero while 谋划中
}

// world is everything one Generate writes, built before any file.
type world struct {
	seed     int64
	months   []qiancun.Month
	villages []Village
	towns    []town
	members  [nForces][]member
	funds    [][]int64 // [month][first secretary]: 协调资金 in fen
	projects []project
}

func buildWorld(sz sizes, seed int64, months []qiancun.Month) (*world, error) {
	villages, towns, err := buildVillages(sz, seed)
	if err != nil {
		return nil, err
	}
	w := &world{seed: seed, months: months, villages: villages, towns: towns}
	p := newPools()
	used := map[string]bool{}
	for fi, f := range qiancun.Forces() {
		r := newRand(seed, "members:"+string(f.Slug))
		ms := make([]member, sz.members[fi])
		switch f.Slug {
		case qiancun.FirstSecretary:
			covered := min(len(villages), roundDiv(len(ms)*demoVillages, demoMembers()[0]))
			assignCover(r, ms, len(villages), covered)
		case qiancun.Postal:
			order := r.Perm(len(towns))
			for i := range ms {
				ms[i].town = int32(order[i%len(order)])
			}
			slices.SortStableFunc(ms, func(a, b member) int { return int(a.town - b.town) })
		case qiancun.Enterprise:
			for i := range ms {
				k := 1
				ms[i].unit = "一对一"
				if r.IntN(4) == 0 {
					k, ms[i].unit = 2+r.IntN(3), "一对多"
				}
				ms[i].villages = nearVillages(r, len(villages), k)
			}
			sortByVillage(ms)
		default:
			for i := range ms {
				k := 1
				if x := r.IntN(100); x >= 95 {
					k = 3
				} else if x >= 80 {
					k = 2
				}
				ms[i].villages = nearVillages(r, len(villages), k)
			}
			sortByVillage(ms)
		}
		for i := range ms {
			fillMember(r, p, w, f.Slug, &ms[i], used)
		}
		w.members[fi] = ms
	}
	w.funds = buildFunds(newRand(seed, "funds"), w.members[0], len(months), sz.funds)
	w.projects = buildProjects(newRand(seed, "projects"), p, w, sz.projects)
	return w, nil
}

// assignCover gives the members villages so that covered villages (all of them when
// covered == nv) each have exactly one member: most members one village, some two or three,
// neighbours in code order. With fewer villages than members, villages are shared.
func assignCover(r *rand.Rand, ms []member, nv, covered int) {
	if len(ms) == 0 || nv == 0 {
		return
	}
	idx := make([]int32, nv)
	for i := range idx {
		idx[i] = int32(i)
	}
	if covered < nv {
		r.Shuffle(nv, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		idx = idx[:covered]
		slices.Sort(idx)
	}
	if len(idx) < len(ms) {
		for i := range ms {
			ms[i].villages = []int32{idx[i*len(idx)/len(ms)]}
		}
		return
	}
	size := make([]int, len(ms))
	for i := range size {
		size[i] = 1
	}
	limit := max(3, (len(idx)+len(ms)-1)/len(ms)+1)
	for extra := len(idx) - len(ms); extra > 0; {
		i := r.IntN(len(ms))
		if size[i] < limit {
			size[i]++
			extra--
		}
	}
	at := 0
	for i := range ms {
		ms[i].villages = slices.Clone(idx[at : at+size[i]])
		at += size[i]
	}
}

// nearVillages picks k distinct villages: one at random and the rest its neighbours in code
// order, so mostly of the same town.
func nearVillages(r *rand.Rand, nv, k int) []int32 {
	k = min(k, nv)
	first := r.IntN(nv)
	out := []int32{int32(first)}
	lo, hi := max(0, first-8), min(nv-1, first+8)
	if hi-lo+1 < k {
		lo, hi = 0, nv-1
	}
	for len(out) < k {
		v := int32(lo + r.IntN(hi-lo+1))
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out[1:])
	return out
}

func sortByVillage(ms []member) {
	slices.SortStableFunc(ms, func(a, b member) int { return int(a.villages[0] - b.villages[0]) })
}

// districtOf returns the district code of a member: its first village's, or its town's.
func (w *world) districtOf(m *member, f qiancun.Force) string {
	if f == qiancun.Postal {
		return w.towns[m.town].code[:6]
	}
	return w.villages[m.villages[0]].Code[:6]
}

func fillMember(r *rand.Rand, p *pools, w *world, f qiancun.Force, m *member, used map[string]bool) {
	dc := w.districtOf(m, f)
	dname := qiancun.DistrictName(dc)
	if dname == "" {
		dname = "历城区"
	}
	m.vigor = 0.8 + 0.4*r.Float64()
	if r.IntN(100) < starsPercent {
		m.vigor = starVigor
	}
	if f == qiancun.Enterprise {
		m.key = makeUSCC(r, dc, used)
		m.name = p.company(r, shortDistrict(dname))
		modes := cooperationModes()
		k := 1
		if x := r.IntN(10); x >= 9 {
			k = 3
		} else if x >= 6 {
			k = 2
		}
		for _, i := range r.Perm(len(modes))[:k] {
			m.modes = append(m.modes, modes[i])
		}
		slices.SortFunc(m.modes, func(a, b string) int { return slices.Index(modes, a) - slices.Index(modes, b) })
		return
	}
	m.key = makeID(r, dc, used)
	m.name = p.person(r)
	switch f {
	case qiancun.FirstSecretary:
		if r.IntN(10) < 6 {
			m.unit = pick(r, cityUnits())
		} else {
			m.unit = dname + pick(r, districtUnits())
		}
		m.low = r.IntN(100) < 2
	case qiancun.Finance:
		m.unit = pick(r, banks())
	case qiancun.Law:
		switch r.IntN(6) {
		case 0:
			m.unit = dname + "司法局"
		case 1:
			m.unit = dname + "人民法院"
		case 2:
			m.unit = dname + "人民检察院"
		case 3:
			m.unit = "济南市公安局" + shortDistrict(dname) + "分局"
		case 4:
			m.unit = w.townOfVillage(m.villages[0]) + "司法所"
		default:
			m.unit = "山东" + pick(r, p.brand) + pick(r, p.brand) + "律师事务所"
		}
	case qiancun.Tech:
		m.unit = []string{"市级", "县级", "县级", "乡级"}[r.IntN(4)]
		if r.IntN(10) > 0 {
			m.field = pick(r, techFields())
		}
	case qiancun.Culture:
		if r.IntN(10) > 0 {
			m.field = pick(r, cultureFields())
		}
	}
}

func (w *world) townOfVillage(v int32) string { return w.villages[v].Town }

// makeID returns a new valid 身份证号 of a district: birth date 1960-01-01..1995-01-01 and a
// sequence number, unique in used.
func makeID(r *rand.Rand, district string, used map[string]bool) string {
	start := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)
	days := int(time.Date(1995, 1, 1, 0, 0, 0, 0, time.UTC).Sub(start).Hours()/24) + 1
	for {
		birth := start.AddDate(0, 0, r.IntN(days)).Format("20060102")
		id := qiancun.MakeID(district + birth + fmt.Sprintf("%03d", r.IntN(1000)))
		if !used[id] {
			used[id] = true
			return id
		}
	}
}

// makeUSCC returns a new valid 统一社会信用代码 of an enterprise registered in a district
// (91 + the district code + 9 characters of the GB 32100 alphabet), unique in used.
func makeUSCC(r *rand.Rand, district string, used map[string]bool) string {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	var b [17]byte
	copy(b[:], "91"+district)
	for {
		for i := 8; i < 17; i++ {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		c := qiancun.MakeUSCC(string(b[:]))
		if !used[c] {
			used[c] = true
			return c
		}
	}
}

// buildFunds draws the first secretaries' 协调资金 for every month, in fen, so that the sum
// over all months is exactly total: random amounts (many months without any) scaled to the
// total, then the rounding difference given to the largest amounts, none going negative.
func buildFunds(r *rand.Rand, ms []member, months int, total int64) [][]int64 {
	raw := make([][]float64, months)
	sum := 0.0
	for mi := range raw {
		raw[mi] = make([]float64, len(ms))
		for i := range ms {
			if r.IntN(100) < 15 {
				continue
			}
			raw[mi][i] = ms[i].vigor * math.Exp(r.NormFloat64()*0.35)
			sum += raw[mi][i]
		}
	}
	funds := make([][]int64, months)
	var got int64
	for mi := range funds {
		funds[mi] = make([]int64, len(ms))
		for i := range ms {
			if raw[mi][i] == 0 {
				continue
			}
			unit := float64(10_000) // 100 元: 12.35 万元
			if r.IntN(4) == 0 {
				unit = 100 // whole 元: 12.3456 万元
			}
			v := int64(math.Round(raw[mi][i]*float64(total)/sum/unit) * unit)
			funds[mi][i] = v
			got += v
		}
	}
	if months == 0 || len(ms) == 0 {
		return funds
	}
	type ref struct{ m, i int }
	var order []ref
	for mi := range funds {
		for i := range funds[mi] {
			order = append(order, ref{mi, i})
		}
	}
	slices.SortStableFunc(order, func(a, b ref) int {
		x, y := funds[a.m][a.i], funds[b.m][b.i]
		switch {
		case x > y:
			return -1
		case x < y:
			return 1
		}
		return 0
	})
	diff := total - got
	for _, o := range order {
		if diff == 0 {
			break
		}
		d := max(diff, -funds[o.m][o.i])
		funds[o.m][o.i] += d
		diff -= d
	}
	return funds
}

func buildProjects(r *rand.Rand, p *pools, w *world, n int) []project {
	year := 2024
	last := time.Date(2024, 7, 0, 0, 0, 0, 0, time.UTC)
	if len(w.months) > 0 {
		year = w.months[0].Year
		lm := slices.MaxFunc(w.months, func(a, b qiancun.Month) int { return (a.Year*12 + a.Month) - (b.Year*12 + b.Month) })
		last = time.Date(lm.Year, time.Month(lm.Month)+1, 0, 0, 0, 0, 0, time.UTC)
	}
	width := max(4, len(strconv.Itoa(n)))
	leads := []struct {
		name string
		w    int
	}{{"第一书记", 45}, {"企业团体", 25}, {"金融专员", 8}, {"法治专员", 2}, {"邮政专员", 5}, {"科技顾问", 10}, {"文化顾问", 5}}
	kinds := projectKinds()
	from := last.AddDate(-1, -6, 0)
	span := int(last.Sub(from).Hours() / 24)
	out := make([]project, n)
	for i := range out {
		v := int32(r.IntN(len(w.villages)))
		x, lead := r.IntN(100), ""
		for _, l := range leads {
			if x < l.w {
				lead = l.name
				break
			}
			x -= l.w
		}
		pr := project{
			name:    w.villages[v].Name + pick(r, kinds),
			village: v,
			lead:    lead,
			invest:  moneyIn(r, 50_000, 5_000_000, 1),
		}
		switch x := r.IntN(100); {
		case x < 15:
			pr.status = "谋划中"
		case x < 60:
			pr.status = "在建"
			pr.start = from.AddDate(0, 0, span/3+r.IntN(span-span/3+1))
		default:
			pr.status = "已完工"
			pr.start = from.AddDate(0, 0, r.IntN(span*2/3+1))
		}
		out[i] = pr
	}
	slices.SortStableFunc(out, func(a, b project) int { return int(a.village - b.village) })
	for i := range out {
		out[i].id = fmt.Sprintf("XM%d-%0*d", year, width, i+1)
	}
	return out
}

// moneyIn draws an amount between lo and hi 元 (log-uniform, times scale), in fen: mostly
// whole hundreds of 元, some whole 元, a few with fen.
func moneyIn(r *rand.Rand, lo, hi float64, scale float64) int64 {
	pos := r.Float64()
	if scale >= starVigor {
		// A star's amounts sit at the top of the range, so that the best in the cohort is
		// a star and the grades spread as in a real appraisal.
		pos, scale = 0.9+0.1*pos, 1
	} else {
		pos = 0.55 + 0.45*pos // most members do a fair amount; few do next to nothing
	}
	v := math.Exp(math.Log(lo)+pos*(math.Log(hi)-math.Log(lo))) * scale * 100
	switch x := r.IntN(10); {
	case x < 6:
		return int64(math.Round(v/10_000)) * 10_000
	case x < 9:
		return int64(math.Round(v/100)) * 100
	}
	return int64(math.Round(v))
}

// workAmount draws an amount of a member's monthly work between lo and hi 元, in fen:
// log-uniform over the upper part of the range, times vigor, so that members differ as
// colleagues do (a few times, not a hundred) and their points spread as in a real
// appraisal; a star's sit at the top.
func workAmount(r *rand.Rand, lo, hi float64, vigor float64) int64 {
	if vigor >= starVigor {
		return moneyIn(r, lo, hi, vigor)
	}
	pos := 0.78 + 0.22*r.Float64()
	v := math.Exp(math.Log(lo)+pos*(math.Log(hi)-math.Log(lo))) * vigor * 100
	switch x := r.IntN(10); {
	case x < 6:
		return int64(math.Round(v/10_000)) * 10_000
	case x < 9:
		return int64(math.Round(v/100)) * 100
	}
	return int64(math.Round(v))
}

// Stars: a few members of each force who do well on every indicator, as a real cohort has.
// Under the default p80 benchmarks they earn the full weight, as do the top fifth on each
// indicator; the queries package's TestDemoGradeBands holds the demo's grades to a real
// appraisal's bands.
const (
	starsPercent = 6
	starVigor    = 2.0
)
