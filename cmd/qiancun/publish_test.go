package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/store"
)

// runAt runs the command in-process with the clock at now.
func runAt(t *testing.T, now time.Time, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{getenv: func(k string) string {
		if k == "USER" {
			return "办公室"
		}
		return ""
	}, stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, now: func() time.Time { return now }}
	code := runEnv(context.Background(), e, args)
	return code, out.String(), errOut.String()
}

// pubFS is a month of four first secretaries as 市委组织部 would send it: a title row, a
// 序号 column, money in 万元. rows are (name, id, district village, days, visits, funds 万元,
// projects, income 万元, deeds, disputes).
func pubFS(month string, rows [][]any) string {
	var b strings.Builder
	fmt.Fprintf(&b, "济南市第一书记工作情况统计表（%s）\n", month)
	b.WriteString("序号,姓名,身份证号,派出单位,村代码,驻村天数,走访农户数,协调资金(万元),实施项目数,村集体增收(万元),办实事数,化解矛盾纠纷数\n")
	for i, r := range rows {
		fmt.Fprintf(&b, "%d,%s,%s,市直单位,%s,%v,%v,%v,%v,%v,%v,%v\n", i+1, r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9])
	}
	b.WriteString("填表人：张三,审核人：李四\n")
	return b.String()
}

var (
	pubIDs = []string{
		qiancun.MakeID("37011219800101001"), qiancun.MakeID("37012419850202002"),
		qiancun.MakeID("37011219900303003"), qiancun.MakeID("37012419950404004"),
	}
	juneRows = [][]any{
		{"甲", pubIDs[0], "370112001001", 20, 30, 5, 2, 1.5, 4, 2},
		{"乙", pubIDs[1], "370124001001", 18, 24, 8, 1, 2, 3, 1},
		{"丙", pubIDs[2], "370112001001", 12, 40, 2, 3, -0.5, 5, 3},
		{"丁", pubIDs[3], "370124001001", 16, 10, 1, 0, 0.8, 1, 0},
	}
)

// contractRank is an independent implementation of the contract's default rules for one
// month of first secretaries with at most four members (where p80 is the highest value)
// and a highest 驻村天数 of 20 (where target:20 is the highest value too): score =
// Σ weight × min(1, value / benchmark), negatives as 0, rounded half away from zero; ranks
// shared on ties; veto under 15 days; grades 80/60/40 with an 优秀 quota of floor(20% N).
func contractRank(rows [][]any) map[string][3]string {
	weights := []int64{15, 15, 20, 15, 15, 10, 10}
	vals := make([][]*big.Rat, len(rows))
	best := make([]*big.Rat, len(weights))
	for i := range best {
		best[i] = new(big.Rat)
	}
	for r, row := range rows {
		for i := range weights {
			v, _ := new(big.Rat).SetString(fmt.Sprint(row[3+i]))
			if v.Sign() < 0 {
				v.SetInt64(0)
			}
			vals[r] = append(vals[r], v)
			if v.Cmp(best[i]) > 0 {
				best[i] = v
			}
		}
	}
	type res struct {
		name  string
		cents int64
		veto  bool
	}
	var out []res
	for r, row := range rows {
		total := new(big.Rat)
		for i, w := range weights {
			if best[i].Sign() <= 0 {
				continue
			}
			x := new(big.Rat).Quo(vals[r][i], best[i])
			if x.Cmp(big.NewRat(1, 1)) > 0 {
				x.SetInt64(1)
			}
			total.Add(total, x.Mul(x, big.NewRat(w, 1)))
		}
		c := new(big.Rat).Mul(total, big.NewRat(100, 1))
		q, m := new(big.Int).QuoRem(c.Num(), c.Denom(), new(big.Int))
		if new(big.Int).Mul(m, big.NewInt(2)).Cmp(c.Denom()) >= 0 {
			q.Add(q, big.NewInt(1))
		}
		out = append(out, res{row[0].(string), q.Int64(), row[3].(int) < 15})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].cents > out[j].cents })
	want := map[string][3]string{}
	for i, x := range out {
		rank := i + 1
		for j := i; j > 0 && out[j-1].cents == x.cents; j-- {
			rank = j
		}
		grade := qiancun.GradeCompetent
		switch {
		case x.veto || x.cents < 4000:
			grade = qiancun.GradeIncompetent
		case x.cents < 6000:
			grade = qiancun.GradeBasic
		}
		// floor(20% × 4) = 0: no 优秀 in a cohort of four.
		want[x.name] = [3]string{qiancun.Hundredths(x.cents), fmt.Sprint(rank), grade}
	}
	return want
}

func standings(t *testing.T, js string) map[string][3]string {
	t.Helper()
	var ms []struct {
		Name, Score, Grade string
		Rank               int
	}
	if err := json.Unmarshal([]byte(js), &ms); err != nil {
		t.Fatalf("%v: %s", err, js)
	}
	out := map[string][3]string{}
	for _, m := range ms {
		out[m.Name] = [3]string{m.Score, fmt.Sprint(m.Rank), m.Grade}
	}
	return out
}

// TestPublishFromTheCLI is the "done when", from the command line alone: publish;
// resubmit a corrected month; the frozen ranking is unchanged; the live one agrees with an
// independent implementation of the contract; the diff names exactly the members that
// moved. Then the state rules, with the clock moved.
func TestPublishFromTheCLI(t *testing.T) {
	t.Parallel()
	corrected := make([][]any, len(juneRows))
	for i := range juneRows {
		corrected[i] = append([]any{}, juneRows[i]...)
	}
	corrected[3][9] = 2 // 丁's 化解矛盾纠纷数 was left out: 2, not 0
	corrected[1][3] = 6 // 乙 was in the village 6 days, not 18: vetoed, and falls behind
	dir := writeFiles(t, map[string]string{
		"帮扶村名册.csv":           cliRegistry,
		"第一书记_2024-06.csv":    pubFS("2024年6月", juneRows),
		"第一书记_2024-06_更正.csv": pubFS("2024年6月", corrected),
	})
	db := filepath.Join(dir, "q.db")
	f := func(n string) string { return filepath.Join(dir, n) }
	tue := time.Date(2024, 7, 2, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

	if code, _, errOut := runAt(t, tue, "ingest", "--db", db, f("帮扶村名册.csv"), f("第一书记_2024-06.csv")); code != exitOK {
		t.Fatalf("ingest: %d %s", code, errOut)
	}
	code, out, errOut := runAt(t, tue, "publish", "--db", db, "--force", "first_secretary", "--period", "2024-06", "--json", "--bundles", filepath.Join(dir, "bundles"))
	if code != exitOK {
		t.Fatalf("publish: %d %s", code, errOut)
	}
	var pub struct {
		ID           int64  `json:"id"`
		Force        string `json:"force"`
		Period       string `json:"period"`
		Status       string `json:"status"`
		Hash         string `json:"hash"`
		PreviousHash string `json:"previous_hash"`
		Until        string `json:"until"`
		Members      int    `json:"members"`
	}
	if err := json.Unmarshal([]byte(out), &pub); err != nil {
		t.Fatal(err)
	}
	if pub.ID != 1 || pub.Status != "公示" || pub.Until != "2024-07-09" || pub.Members != 4 || len(pub.Hash) != 64 || pub.PreviousHash != "" {
		t.Fatalf("publish printed %+v", pub)
	}
	_, frozen, _ := runAt(t, tue, "rank", "--db", db, "--publication", "1", "--json")
	_, live0, _ := runAt(t, tue, "rank", "--db", db, "--force", "first_secretary", "--period", "2024-06", "--json")
	if frozen != live0 {
		t.Fatalf("the publication is not the ranking it froze:\n%s\n%s", frozen, live0)
	}
	if diff := cmp.Diff(contractRank(juneRows), standings(t, live0)); diff != "" {
		t.Errorf("the published ranking against the contract (-contract +ranking):\n%s", diff)
	}

	if code, _, errOut := runAt(t, tue, "ingest", "--db", db, f("第一书记_2024-06_更正.csv")); code != exitOK {
		t.Fatalf("resubmit: %d %s", code, errOut)
	}
	_, again, _ := runAt(t, tue, "rank", "--db", db, "--publication", "1", "--json")
	if again != frozen {
		t.Errorf("the frozen ranking changed:\n%s\nwas\n%s", again, frozen)
	}
	_, live, _ := runAt(t, tue, "rank", "--db", db, "--force", "first_secretary", "--period", "2024-06", "--json")
	if diff := cmp.Diff(contractRank(corrected), standings(t, live)); diff != "" {
		t.Errorf("the live ranking against the contract (-contract +ranking):\n%s", diff)
	}
	code, out, errOut = runAt(t, tue, "publication", "diff", "--db", db, "1", "--json")
	if code != exitOK {
		t.Fatalf("diff: %d %s", code, errOut)
	}
	var d struct {
		From    int64  `json:"from"`
		To      string `json:"to"`
		Changed []struct {
			Key, Name     string
			Before, After struct {
				Total string
				Rank  int
				Grade string
			}
		} `json:"changed"`
		Entered, Left []any
		Submissions   struct{ Added, Removed []struct{ ID int64 } }
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	// The members that moved, by the contract: those whose standing differs.
	before, after := contractRank(juneRows), contractRank(corrected)
	var want, got []string
	for name, s := range after {
		if before[name] != s {
			want = append(want, name)
		}
	}
	for _, c := range d.Changed {
		got = append(got, c.Name)
		if !strings.Contains(c.Key, "****") {
			t.Errorf("diff shows key %s unmasked", c.Key)
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" || d.From != 1 || d.To != "live" || len(d.Entered)+len(d.Left) != 0 ||
		len(d.Submissions.Added) != 1 || len(d.Submissions.Removed) != 1 {
		t.Errorf("diff %s (-want +got names):\n%s", out, diff)
	}
	if len(want) == 0 || len(want) == 4 {
		t.Errorf("the fixture should move some members but not all: %v", want)
	}
	rankOnly := 0
	for name, s := range after {
		if b := before[name]; b != s && b[0] == s[0] {
			rankOnly++ // same total, another rank or grade
		}
	}
	if rankOnly == 0 {
		t.Errorf("the fixture should move a member's rank without changing its total: %v → %v", before, after)
	}

	// The state rules, each refusal a clear error.
	refused := func(now time.Time, want string, args ...string) {
		t.Helper()
		code, _, errOut := runAt(t, now, append(args, "--db", db)...)
		if code != exitRejected || !strings.Contains(errOut, want) {
			t.Errorf("%v: exit %d, %q; want 1 saying %q", args, code, errOut, want)
		}
	}
	refused(tue, "尚未届满", "publication", "finalize", "1")
	refused(tue, "已有公示中的发布", "publish", "--force", "first_secretary", "--period", "2024-06")
	code, out, errOut = runAt(t, tue, "objection", "add", "--db", db, "1", "--key", pubIDs[3], "--reason", "化解纠纷数漏填", "--json")
	if code != exitOK {
		t.Fatalf("objection add: %d %s", code, errOut)
	}
	nextTue := tue.AddDate(0, 0, 7)
	refused(nextTue, "异议未答复", "publication", "finalize", "1")
	if code, _, errOut := runAt(t, nextTue, "objection", "resolve", "--db", db, "1", "--resolution", "更正", "--note", "将发布更正"); code != exitOK {
		t.Fatalf("resolve: %d %s", code, errOut)
	}
	if code, _, errOut := runAt(t, nextTue, "publication", "finalize", "--db", db, "1"); code != exitOK {
		t.Fatalf("finalize: %d %s", code, errOut)
	}
	refused(nextTue, "只有公示期内的发布可以撤回", "publication", "withdraw", "1", "--reason", "x")
	refused(nextTue, "须说明理由", "publication", "correct", "1")
	code, out, errOut = runAt(t, nextTue, "publication", "correct", "--db", db, "1", "--reason", "丁的化解矛盾纠纷数更正为2，乙的驻村天数更正为6", "--json")
	if code != exitOK || !strings.Contains(out, `"status": "已发布"`) || !strings.Contains(out, `"corrects": 1`) {
		t.Fatalf("correct: %d %s %s", code, out, errOut)
	}
	_, corr, _ := runAt(t, nextTue, "rank", "--db", db, "--publication", "2", "--json")
	if corr != live {
		t.Errorf("the correction is not the live ranking")
	}
	if code, out, errOut := runAt(t, nextTue, "publication", "verify", "--db", db); code != exitOK || !strings.Contains(out, "2 publications") {
		t.Errorf("verify: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := runAt(t, nextTue, "publication", "verify", "--bundle", filepath.Join(dir, "bundles", "1")); code != exitOK {
		t.Errorf("verify bundle: %d %s %s", code, out, errOut)
	}
	code, out, _ = runAt(t, nextTue, "publication", "list", "--db", db)
	if code != exitOK || !strings.Contains(out, "已更正") || !strings.Contains(out, "更正稿") {
		t.Errorf("list:\n%s", out)
	}

	// An objection's reason edited directly in the database (the log chain): verify fails
	// and names it; put back, verify passes again.
	for _, step := range []struct {
		reason string
		code   int
	}{{"改过的", exitRejected}, {"化解纠纷数漏填", exitOK}} {
		st, err := store.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		_, err = st.DB().Exec("UPDATE objections SET reason = ? WHERE id = 1", step.reason)
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runAt(t, nextTue, "publication", "verify", "--db", db)
		if code != step.code || step.code != exitOK && !strings.Contains(errOut, "publication 1: log edited: objection 1") {
			t.Errorf("verify with objection 1's reason %q: exit %d, %s%s", step.reason, code, out, errOut)
		}
	}

	// A row edited directly in the database: verify fails and names it.
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.DB().Exec("UPDATE publication_members SET grade = '优秀' WHERE publication_id = 1 AND position = 3")
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runAt(t, nextTue, "publication", "verify", "--db", db)
	if code != exitRejected || !strings.Contains(errOut, "publication 1, row 3") || !strings.Contains(errOut, "****") {
		t.Errorf("verify after an edit: exit %d, %s", code, errOut)
	}
}
