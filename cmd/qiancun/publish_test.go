package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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

// The standings of juneRows and of its correction, worked by hand from the contract's
// default rules: with at most four members the benchmark (p80, and target:20 for 驻村天数,
// whose highest is 甲's 20) is each column's highest value, negatives count 0; score =
// Σ weight × min(1, value / benchmark) with weights 15 15 20 15 15 10 10; veto under 15
// days; grades 80/60/40, and floor(20% × 4) = 0 优秀. Highest: 20 40 8 3 2 5 3.
//
//	甲 15·20/20 + 15·30/40 + 20·5/8 + 15·2/3 + 15·1.5/2 + 10·4/5 + 10·2/3 = 74.666… → 74.67
//	乙 15·18/20 + 15·24/40 + 20·8/8 + 15·1/3 + 15·2/2 + 10·3/5 + 10·1/3 = 71.833… → 71.83
//	丙 15·12/20 + 15·40/40 + 20·2/8 + 15·3/3 + 0 + 10·5/5 + 10·3/3 = 64.00, vetoed (12 days)
//	丁 15·16/20 + 15·10/40 + 20·1/8 + 0 + 15·0.8/2 + 10·1/5 + 0 = 26.25
//
// Corrected: 乙 6 days (vetoed): 71.833… − 15·12/20 = 62.833… → 62.83; 丁 化解 2:
// 26.25 + 10·2/3 = 32.916… → 32.92. 丙 overtakes 乙.
var (
	juneStandings = map[string][3]string{
		"甲": {"74.67", "1", qiancun.GradeCompetent},
		"乙": {"71.83", "2", qiancun.GradeCompetent},
		"丙": {"64.00", "3", qiancun.GradeIncompetent},
		"丁": {"26.25", "4", qiancun.GradeIncompetent},
	}
	correctedStandings = map[string][3]string{
		"甲": {"74.67", "1", qiancun.GradeCompetent},
		"丙": {"64.00", "2", qiancun.GradeIncompetent},
		"乙": {"62.83", "3", qiancun.GradeIncompetent},
		"丁": {"32.92", "4", qiancun.GradeIncompetent},
	}
)

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
// resubmit a corrected month; the frozen ranking is unchanged; the live one agrees with the
// contract's rules worked by hand; the diff names exactly the members that moved. Then the state rules, with the clock moved.
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
	if diff := cmp.Diff(juneStandings, standings(t, live0)); diff != "" {
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
	if diff := cmp.Diff(correctedStandings, standings(t, live)); diff != "" {
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
	// The members that moved: 乙 and 丁 (score), 丙 (rank); 甲 stands as it was.
	want := []string{"丁", "丙", "乙"}
	var got []string
	for _, c := range d.Changed {
		got = append(got, c.Name)
		if !strings.Contains(c.Key, "****") {
			t.Errorf("diff shows key %s unmasked", c.Key)
		}
	}
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" || d.From != 1 || d.To != "live" || len(d.Entered)+len(d.Left) != 0 ||
		len(d.Submissions.Added) != 1 || len(d.Submissions.Removed) != 1 {
		t.Errorf("diff %s (-want +got names):\n%s", out, diff)
	}
	if len(want) == 0 || len(want) == 4 {
		t.Errorf("the fixture should move some members but not all: %v", want)
	}
	rankOnly := 0
	for name, s := range correctedStandings {
		if b := juneStandings[name]; b != s && b[0] == s[0] {
			rankOnly++ // same total, another rank or grade
		}
	}
	if rankOnly == 0 {
		t.Errorf("the fixture should move a member's rank without changing its total: %v → %v", juneStandings, correctedStandings)
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
