package publish_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/publish"
	"github.com/qiancun/qiancun/queries"
	"github.com/qiancun/qiancun/store"
)

var (
	idA = qiancun.MakeID("37011219800101001")
	idB = qiancun.MakeID("37012419850202002")
	idC = qiancun.MakeID("37012419900303003")
	idD = qiancun.MakeID("37011219950606006")
)

const registryCSV = `村代码,区县,镇街,村名,管理主体
370112001001,历城区,港沟街道,东村,
370112001002,历城区,港沟街道,西村,高新区
370124001001,平阴县,榆山街道,南村,
`

// fsJune is June's first-secretary file. disputesC is C's 化解矛盾纠纷数; withD adds a
// fourth member.
func fsJune(disputesC int, withD bool) string {
	s := fmt.Sprintf(`姓名,身份证号,派出单位,村代码,驻村天数,走访农户数,协调资金(万元),实施项目数,村集体增收(万元),办实事数,化解矛盾纠纷数
甲,%s,市委组织部,370112001001,20,10,1,1,0.5,2,1
乙,%s,市财政局,370124001001,16,20,2,0,-1,2,0
丙,%s,市农业农村局,370124001001,25,12,0,1,1,1,%d
`, idA, idB, idC, disputesC)
	if withD {
		s += fmt.Sprintf("丁,%s,市科协,370112001002,22,8,0.5,1,0.2,1,1\n", idD)
	}
	return s
}

// clock is a clock the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

type fixture struct {
	st    *store.Store
	in    *ingest.Ingester
	eng   *queries.Engine
	svc   *publish.Service
	clock *clock
}

// cst is Jinan's time zone.
var cst = time.FixedZone("CST", 8*3600)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ts, err := ingest.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	packs, err := queries.LoadPacks("")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := queries.LoadRules("", ts.ForceIndicators())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, in: ingest.New(ts, st, ingest.DefaultLimits()), eng: queries.New(st, packs, rules)}
	// Tuesday 2 July 2024, 10:00 in Jinan.
	f.clock = &clock{t: time.Date(2024, 7, 2, 10, 0, 0, 0, cst)}
	f.svc = publish.New(st, f.eng, publish.Options{Now: f.clock.Now, Location: cst, Program: "test"})
	f.ingest(t, "帮扶村名册.csv", registryCSV)
	return f
}

func (f *fixture) ingest(t testing.TB, name, body string) *qiancun.Receipt {
	t.Helper()
	rc, err := f.in.Ingest(context.Background(), name, []byte(body), ingest.Options{Period: "2024-06"})
	if err != nil {
		t.Fatal(err)
	}
	if rc.Status != qiancun.Accepted {
		t.Fatalf("%s: %s %+v", name, rc.Status, rc.Issues)
	}
	return rc
}

func (f *fixture) publish(t *testing.T) *qiancun.Publication {
	t.Helper()
	p, err := f.svc.Publish(context.Background(), publish.Request{Force: qiancun.FirstSecretary, Period: "2024-06", By: "办公室"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// refusal asserts that err is a PublicationError whose message says want.
func refusal(t *testing.T, err error, want string) {
	t.Helper()
	var pe *qiancun.PublicationError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a refusal saying %q", err, want)
	}
	if !strings.Contains(pe.Message, want) {
		t.Errorf("refusal %q does not say %q", pe.Message, want)
	}
}

func rankJSON(t *testing.T, r *qiancun.Ranking) string {
	t.Helper()
	b, err := json.Marshal(r.Members)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestResubmissionAfterPublication: the published ranking stays byte for byte, the live one
// moves, and the diff names exactly the members whose total, rank or grade changed.
func TestResubmissionAfterPublication(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	first := f.ingest(t, "fs_2024-06.csv", fsJune(1, false))
	p := f.publish(t)
	frozen, err := f.svc.Get(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	before := rankJSON(t, frozen.Ranking())
	live0, err := f.eng.Rank(ctx, qiancun.FirstSecretary, "2024-06")
	if err != nil {
		t.Fatal(err)
	}
	if got := rankJSON(t, live0); got != before {
		t.Fatalf("the publication differs from the ranking it froze:\n%s\n%s", got, before)
	}
	// The indicators with their benchmarks, and the quota's scope, as frozen.
	if diff := cmp.Diff(live0.Indicators, frozen.Indicators); diff != "" || live0.QuotaScope != frozen.QuotaScope || frozen.QuotaScope == "" {
		t.Errorf("indicators (-live +frozen):\n%s\nquota scope %q, frozen %q", diff, live0.QuotaScope, frozen.QuotaScope)
	}
	// The rules in force, read back from the frozen text (Money comes from the template,
	// not the rules text).
	inForce := *f.eng.Rules().Forces[qiancun.FirstSecretary]
	inForce.Indicators = append([]qiancun.Weighted{}, inForce.Indicators...)
	for i := range inForce.Indicators {
		inForce.Indicators[i].Money = false
	}
	if diff := cmp.Diff(&inForce, frozen.Ranking().Rules); diff != "" {
		t.Errorf("frozen rules (-in force +read back):\n%s", diff)
	}
	if frozen.Indicators[0].BenchmarkRule == "" || frozen.Indicators[0].Benchmark == "" {
		t.Errorf("no benchmark frozen: %+v", frozen.Indicators[0])
	}

	// C's 化解矛盾纠纷数 drops from 1 to 0: C loses that indicator's 10 points; A keeps the
	// best (1) and B had 0, so neither total moves. C's rank and maybe grade follow.
	second := f.ingest(t, "fs_2024-06_更正.csv", fsJune(0, true))
	again, err := f.svc.Get(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := rankJSON(t, again.Ranking()); got != before {
		t.Errorf("the published ranking changed after a resubmission:\n%s\nwas\n%s", got, before)
	}
	live, err := f.eng.Rank(ctx, qiancun.FirstSecretary, "2024-06")
	if err != nil {
		t.Fatal(err)
	}
	if rankJSON(t, live) == before {
		t.Fatal("the live ranking did not move")
	}
	d, err := f.svc.Diff(ctx, p.ID, publish.Live)
	if err != nil {
		t.Fatal(err)
	}
	// Worked out from the two rankings by hand: C's total fell by exactly 10.
	c0, c1 := live0.Member(idC), live.Member(idC)
	if c0 == nil || c1 == nil || c0.ScoreHundredths-c1.ScoreHundredths != 1000 {
		t.Fatalf("C: %+v → %+v, want 10 points fewer", c0, c1)
	}
	// Everyone whose standing differs between the two rankings, found member by member.
	var want []string
	for _, m := range live.Members {
		if o := live0.Member(m.Key); o != nil && (o.Score != m.Score || o.Rank != m.Rank || o.Grade != m.Grade) {
			want = append(want, m.Key)
		}
	}
	var got []string
	for _, c := range d.Changed {
		got = append(got, c.Key)
	}
	sort.Strings(want)
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" || !slices.Contains(got, idC) || slices.Contains(got, idA) {
		t.Errorf("changed members (-want +got):\n%s", diff)
	}
	if len(d.Entered) != 1 || d.Entered[0].Key != idD || len(d.Left) != 0 {
		t.Errorf("entered %+v left %+v, want D entered", d.Entered, d.Left)
	}
	wantSubs := publish.SubmissionDiff{
		Added:   []qiancun.UsedSubmission{{ID: second.SubmissionID, Template: "first_secretary", Month: "2024-06", SHA256: second.SHA256}},
		Removed: []qiancun.UsedSubmission{{ID: first.SubmissionID, Template: "first_secretary", Month: "2024-06", SHA256: first.SHA256}},
	}
	if diff := cmp.Diff(wantSubs, d.Submissions); diff != "" {
		t.Errorf("submissions (-want +got):\n%s", diff)
	}
	for _, c := range d.Masked().Changed {
		if c.Key == idC || !strings.Contains(c.Key, "****") {
			t.Errorf("masked diff shows key %s", c.Key)
		}
	}
}

// TestStateRules walks a publication through its life with a moving clock: each refusal
// is a clear error, and each allowed move lands where the table says.
func TestStateRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	f.ingest(t, "fs_2024-06.csv", fsJune(1, false))
	p := f.publish(t)
	// Tuesday 2 July + 5 working days = Tuesday 9 July.
	if p.Until != "2024-07-09" || p.State != qiancun.Notice || p.Kind() != qiancun.KindNotice {
		t.Fatalf("until %s state %s kind %s, want 2024-07-09 公示 公示稿", p.Until, p.State, p.Kind())
	}
	_, err := f.svc.Publish(ctx, publish.Request{Force: qiancun.FirstSecretary, Period: "2024-06"})
	refusal(t, err, "已有公示中的发布")
	_, err = f.svc.Finalize(ctx, p.ID, "admin")
	refusal(t, err, "尚未届满")
	_, err = f.svc.Correct(ctx, p.ID, "admin", "错了", "")
	refusal(t, err, "只有已发布")

	o, err := f.svc.AddObjection(ctx, p.ID, idB, "乙", "驻村天数少算了")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.AddObjection(ctx, p.ID, idD, "丁", "我不在名单上")
	refusal(t, err, "没有证件号为")

	f.clock.Set(time.Date(2024, 7, 9, 9, 0, 0, 0, cst)) // the last day of 公示
	_, err = f.svc.Finalize(ctx, p.ID, "admin")
	refusal(t, err, "异议未答复")
	_, err = f.svc.Resolve(ctx, o.ID, "驳回", "admin", "x")
	refusal(t, err, "应为 维持 或 更正")
	if _, err := f.svc.Resolve(ctx, o.ID, qiancun.Upheld, "admin", "考勤记录无误"); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Resolve(ctx, o.ID, qiancun.Corrected, "admin", "again")
	refusal(t, err, "不能再次答复")
	fin, err := f.svc.Finalize(ctx, p.ID, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if fin.State != qiancun.Final || fin.Kind() != qiancun.KindFinal {
		t.Fatalf("after finalize: %s %s", fin.State, fin.Kind())
	}
	_, err = f.svc.Withdraw(ctx, p.ID, "admin", "弄错了")
	refusal(t, err, "只有公示期内的发布可以撤回")
	_, err = f.svc.Finalize(ctx, p.ID, "admin")
	refusal(t, err, "只有公示中的发布可以定稿")
	_, err = f.svc.AddObjection(ctx, p.ID, idB, "乙", "again")
	refusal(t, err, "只有公示期内可以提出异议")
	_, err = f.svc.Publish(ctx, publish.Request{Force: qiancun.FirstSecretary, Period: "2024-06"})
	refusal(t, err, "已有正式发布")
	_, err = f.svc.Correct(ctx, p.ID, "admin", "  ", "")
	refusal(t, err, "须说明理由")

	f.ingest(t, "fs_2024-06_更正.csv", fsJune(0, false))
	c, err := f.svc.Correct(ctx, p.ID, "admin", "市委组织部更正了丙的数据", "")
	if err != nil {
		t.Fatal(err)
	}
	if c.State != qiancun.Final || c.Kind() != qiancun.KindCorrection || c.Corrects != p.ID || c.PrevHash != p.Hash {
		t.Errorf("correction: state %s kind %s corrects %d prev %s", c.State, c.Kind(), c.Corrects, c.PrevHash)
	}
	old, err := f.svc.Get(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if old.State != qiancun.Superseded || old.SupersededBy != c.ID || len(old.Members) != 3 {
		t.Errorf("the corrected one: state %s superseded by %d, %d members", old.State, old.SupersededBy, len(old.Members))
	}
	_, err = f.svc.Correct(ctx, p.ID, "admin", "again", "")
	refusal(t, err, "状态为已更正")
	latest, err := f.svc.Latest(ctx, qiancun.FirstSecretary, "2024-06")
	if err != nil || latest.ID != c.ID {
		t.Errorf("latest = %v, %v; want the correction %d", latest, err, c.ID)
	}
	var moves []string
	for _, e := range old.Events {
		moves = append(moves, fmt.Sprintf("%s:%s→%s", e.Move, e.From, e.To))
	}
	if diff := cmp.Diff([]string{"publish:→公示", "finalize:公示→已发布", "supersede:已发布→已更正"}, moves); diff != "" {
		t.Errorf("the log (-want +got):\n%s", diff)
	}

	// Withdraw during 公示; then a new publication may be made.
	f.ingest(t, "law_2024-06.csv", `姓名,身份证号,所属单位,村代码,入村服务次数,法律咨询件数,化解矛盾纠纷件数,法治宣传场次,解决实际问题数
法甲,`+idA+`,市司法局,370112001001,4,3,2,1,1
`)
	lp, err := f.svc.Publish(ctx, publish.Request{Force: qiancun.Law, Period: "2024-06", Until: "2024-07-10"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Withdraw(ctx, lp.ID, "admin", "")
	refusal(t, err, "须说明理由")
	w, err := f.svc.Withdraw(ctx, lp.ID, "admin", "数据未齐")
	if err != nil || w.State != qiancun.Withdrawn {
		t.Fatalf("withdraw: %v %v", w, err)
	}
	if l, err := f.svc.Latest(ctx, qiancun.Law, "2024-06"); err != nil || l != nil {
		t.Errorf("latest after withdrawal = %v, %v; want none", l, err)
	}
	_, err = f.svc.Publish(ctx, publish.Request{Force: qiancun.Law, Period: "2024-06", Until: "2024-07-01"})
	refusal(t, err, "早于今天")
	_, err = f.svc.Publish(ctx, publish.Request{Force: qiancun.Tech, Period: "2024-06"})
	refusal(t, err, "没有任何已接收的数据")
	if _, err := f.svc.Publish(ctx, publish.Request{Force: qiancun.Law, Period: "2024-06"}); err != nil {
		t.Errorf("publish after a withdrawal: %v", err)
	}
	rep, err := f.svc.Verify(ctx)
	if err != nil || !rep.OK() || rep.Publications != 4 {
		t.Errorf("verify: %+v %v", rep, err)
	}
}

// TestVerifyNamesEditedRow edits the database behind the service's back.
func TestVerifyNamesEditedRow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name, sql string
		row       int
		what      string
	}{
		{"a total", "UPDATE publication_members SET total = total + 1 WHERE publication_id = 2 AND position = 2", 2, "row edited"},
		{"a grade and its hash", "UPDATE publication_members SET grade = '优秀', row_hash = 'x' WHERE publication_id = 2 AND position = 3", 3, "row edited"},
		{"a deleted row", "DELETE FROM publication_members WHERE publication_id = 2 AND position = 3", 0, "were published"},
		{"the header", "UPDATE publications SET note = 'x' WHERE id = 2", 0, "content edited"},
		{"the submissions", "UPDATE publication_submissions SET sha256 = 'x' WHERE publication_id = 2", 0, "content edited"},
		{"the chain", "UPDATE publications SET prev_hash = '' WHERE id = 2", 0, "content edited"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.ingest(t, "fs_2024-06.csv", fsJune(1, false))
			p1 := f.publish(t)
			if _, err := f.svc.Withdraw(ctx, p1.ID, "admin", "重发"); err != nil {
				t.Fatal(err)
			}
			f.publish(t) // publication 2, chained to 1
			if rep, err := f.svc.Verify(ctx); err != nil || !rep.OK() || rep.Rows != 6 {
				t.Fatalf("before the edit: %+v %v", rep, err)
			}
			if _, err := f.st.DB().Exec(tc.sql); err != nil {
				t.Fatal(err)
			}
			rep, err := f.svc.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pr := rep.Problem
			if pr == nil || pr.Publication != 2 || pr.Row != tc.row || !strings.Contains(pr.What, tc.what) {
				t.Fatalf("problem = %+v, want publication 2 row %d %q", pr, tc.row, tc.what)
			}
			if tc.row > 0 && (pr.Key == "" || strings.Contains(pr.Error(), idB) || strings.Contains(pr.Error(), idC)) {
				t.Errorf("problem %q: want the row's masked key", pr.Error())
			}
		})
	}
}

// TestBrokenChain: a publication whose previous_hash is consistent with its own hash but
// does not name its predecessor breaks the chain.
func TestBrokenChain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	f.ingest(t, "fs_2024-06.csv", fsJune(1, false))
	p1 := f.publish(t)
	if _, err := f.svc.Withdraw(ctx, p1.ID, "admin", "重发"); err != nil {
		t.Fatal(err)
	}
	f.publish(t)
	// Forge publication 1 with a new hash: its own content checks, but 2 no longer links.
	if _, err := f.st.DB().Exec("UPDATE publications SET hash = 'forged' WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	rep, err := f.svc.Verify(ctx)
	if err != nil || rep.Problem == nil || rep.Problem.Publication != 1 {
		t.Fatalf("verify: %+v %v", rep.Problem, err)
	}
}

// TestPublishDuringCommit publishes again and again while submissions that change the
// cohort commit: every publication's list of submissions must match its rows.
func TestPublishDuringCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	f.ingest(t, "fs_2024-06.csv", fsJune(1, false))
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		var err error
		defer func() { done <- err }()
		for i := 0; i < 200; i++ {
			select {
			case <-stop:
				return
			default:
			}
			// Alternate three and four members, and a changing value: every commit
			// changes the cohort.
			body := fsJune(i%7, i%2 == 0)
			var rc *qiancun.Receipt
			rc, err = f.in.Ingest(ctx, fmt.Sprintf("fs_%d.csv", i), []byte(body), ingest.Options{Period: "2024-06"})
			if err != nil {
				return
			}
			if rc.Status != qiancun.Accepted && rc.Status != qiancun.Unchanged {
				err = fmt.Errorf("submission %d: %s", i, rc.Status)
				return
			}
		}
	}()
	const rounds = 15
	for i := 0; i < rounds; i++ {
		p, err := f.svc.Publish(ctx, publish.Request{Force: qiancun.FirstSecretary, Period: "2024-06", Until: "2024-07-05"})
		if err != nil {
			close(stop)
			<-done
			t.Fatal(err)
		}
		checkConsistent(t, f, p)
		if _, err := f.svc.Withdraw(ctx, p.ID, "admin", "again"); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if rep, err := f.svc.Verify(ctx); err != nil || !rep.OK() {
		t.Errorf("verify: %+v %v", rep, err)
	}
}

// checkConsistent checks p's members against the facts of the submissions it lists: the
// same keys, and each member's 化解矛盾纠纷数.
func checkConsistent(t *testing.T, f *fixture, p *qiancun.Publication) {
	t.Helper()
	if len(p.Submissions) != 1 {
		t.Fatalf("publication %d lists %d submissions, want June's one", p.ID, len(p.Submissions))
	}
	rows, err := f.st.DB().Query(`SELECT member_key, value::VARCHAR FROM fact_values
		WHERE submission_id = ? AND indicator = '化解矛盾纠纷数' ORDER BY member_key`, p.Submissions[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	want := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		want[k] = v
	}
	got := map[string]string{}
	i := slices.IndexFunc(p.Indicators, func(in qiancun.IndicatorInfo) bool { return in.Name == "化解矛盾纠纷数" })
	for _, m := range p.Members {
		got[m.Key] = qiancun.Hundredths(m.Values[i])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("publication %d: its rows do not match submission %d (-submission +rows):\n%s", p.ID, p.Submissions[0].ID, diff)
	}
}

// TestBundle writes a bundle, verifies and reads it with a fresh database (as another
// machine would), and finds an edited file.
func TestBundle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	f.ingest(t, "fs_2024-06.csv", fsJune(1, true))
	p := f.publish(t)
	root := t.TempDir()
	dir, err := f.svc.WriteBundle(ctx, p.ID, root)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.WriteBundle(ctx, p.ID, root)
	refusal(t, err, "不可覆盖")

	elsewhere, err := store.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer elsewhere.Close()
	m, pr, err := publish.VerifyBundle(ctx, elsewhere, dir)
	if err != nil || pr != nil {
		t.Fatalf("verify bundle: %v %v", pr, err)
	}
	if m.Hash != p.Hash || m.Members != 4 || len(m.Files) != 3 {
		t.Errorf("manifest: hash %s members %d files %d", m.Hash, m.Members, len(m.Files))
	}
	body, err := elsewhere.ReadBundle(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rankJSON(t, p.Ranking()), rankJSON(t, &qiancun.Ranking{Members: body.Members})); diff != "" {
		t.Errorf("members read back from the bundle (-published +bundle):\n%s", diff)
	}

	// A bundle rewritten with other content but a consistent file hash in the manifest
	// still fails: its rows no longer hash to the publication's hash.
	tampered := filepath.Join(t.TempDir(), "t")
	if err := os.CopyFS(tampered, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	if _, err := elsewhere.DB().Exec(fmt.Sprintf(`COPY (SELECT * REPLACE (CASE WHEN position = 1 THEN 99.99 ELSE total END AS total)
		FROM read_parquet('%s/members.parquet')) TO '%s/members.parquet' (FORMAT parquet)`, dir, tampered)); err != nil {
		t.Fatal(err)
	}
	_, pr, err = publish.VerifyBundle(ctx, elsewhere, tampered)
	if err != nil || pr == nil || !strings.Contains(pr.What, "members.parquet edited") {
		t.Fatalf("tampered file: %v %v", pr, err)
	}
	var man publish.Manifest
	b, _ := os.ReadFile(filepath.Join(tampered, "manifest.json"))
	_ = json.Unmarshal(b, &man)
	sum, _ := fileSHA(filepath.Join(tampered, "members.parquet"))
	man.Files[0].SHA256 = sum
	b, _ = json.Marshal(man)
	if err := os.WriteFile(filepath.Join(tampered, "manifest.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, pr, err = publish.VerifyBundle(ctx, elsewhere, tampered)
	if err != nil || pr == nil || pr.Row != 1 {
		t.Fatalf("tampered row with a fixed manifest: %v %v", pr, err)
	}
}

func fileSHA(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return publish.SHA256Text(string(b)), nil
}
