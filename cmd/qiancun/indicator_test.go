package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qiancun/qiancun"
)

// lawTemplate is the law template of ingest/templates/templates.toml with one more
// indicator, 普法讲座场次.
const lawTemplate = `[[template]]
slug = "law"
title = "法治专员工作表"
kind = "monthly"
force = "law"
  [[template.column]]
  header = "姓名"
  type = "text"
  required = true
  role = "name"
  [[template.column]]
  header = "身份证号"
  type = "id"
  required = true
  role = "key"
  [[template.column]]
  header = "所属单位"
  type = "text"
  required = true
  [[template.column]]
  header = "村代码"
  type = "village"
  multi = true
  required = true
  role = "villages"
  [[template.column]]
  header = "入村服务次数"
  type = "integer"
  min = 0
  required = true
  [[template.column]]
  header = "法律咨询件数"
  type = "integer"
  min = 0
  required = true
  [[template.column]]
  header = "化解矛盾纠纷件数"
  type = "integer"
  min = 0
  required = true
  [[template.column]]
  header = "法治宣传场次"
  type = "integer"
  min = 0
  required = true
  [[template.column]]
  header = "解决实际问题数"
  type = "integer"
  min = 0
  required = true
  [[template.column]]
  header = "普法讲座场次"
  type = "integer"
  min = 0
  required = true
`

// lawRules are the default rules with the law force's indicators reweighted to make room
// for 普法讲座场次, measured against the highest.
func lawRules(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "queries", "rules.toml"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	old := s[strings.Index(s, "[forces.law]"):strings.Index(s, "[forces.postal]")]
	return strings.Replace(s, old, `[forces.law]
indicators = [
  { name = "入村服务次数", weight = 20 },
  { name = "法律咨询件数", weight = 20 },
  { name = "化解矛盾纠纷件数", weight = 20 },
  { name = "法治宣传场次", weight = 15 },
  { name = "解决实际问题数", weight = 15 },
  { name = "普法讲座场次", weight = 10, benchmark = "max" },
]

`, 1)
}

var (
	cliLaw1 = qiancun.MakeID("37011219700505005")
	cliLaw2 = qiancun.MakeID("37012419710606006")
)

// TestNewIndicatorByConfiguration adds an indicator to a force with a templates folder and
// a rules file alone, and sees it scored and ranked; months submitted before it existed
// report it as missing.
func TestNewIndicatorByConfiguration(t *testing.T) {
	t.Parallel()
	const head = "姓名,身份证号,所属单位,村代码,入村服务次数,法律咨询件数,化解矛盾纠纷件数,法治宣传场次,解决实际问题数"
	dir := writeFiles(t, map[string]string{
		"帮扶村名册.csv": cliRegistry,
		"law_2024-04.csv": head + "\n法甲," + cliLaw1 + ",市司法局,370112001001,4,3,2,1,1\n" +
			"法乙," + cliLaw2 + ",平阴县司法局,370124001001,2,3,4,1,0\n",
		"law_2024-05.csv": head + ",普法讲座场次\n法甲," + cliLaw1 + ",市司法局,370112001001,4,3,2,1,1,2\n" +
			"法乙," + cliLaw2 + ",平阴县司法局,370124001001,2,3,4,1,0,1\n",
		"rules.toml": lawRules(t),
	})
	tpl := filepath.Join(dir, "templates")
	if err := os.Mkdir(tpl, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tpl, "law.toml"), []byte(lawTemplate), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "q.db")
	f := func(n string) string { return filepath.Join(dir, n) }
	// April under the built-in template, May under the new one.
	if code, _, errOut := runCLI(t, "ingest", "--db", db, f("帮扶村名册.csv"), f("law_2024-04.csv")); code != exitOK {
		t.Fatalf("ingest April: exit %d: %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "ingest", "--db", db, "--templates", tpl, f("law_2024-05.csv")); code != exitOK {
		t.Fatalf("ingest May: exit %d: %s", code, errOut)
	}

	// May: two members, so every p80 is at position ⌈0.8 × 2⌉ = 2, the higher value:
	// 入村 4, 咨询 3, 纠纷 4, 宣传 1, 解决 1; 普法讲座场次 against the highest, 2.
	// 法甲: 20 + 20 + 20 × 2/4 + 15 + 15 + 10 = 90; 法乙: 20 × 2/4 + 20 + 20 + 15 + 0 +
	// 10 × 1/2 = 70. Quota floor(0.4) = 0.
	code, out, errOut := runCLI(t, "rank", "--db", db, "--templates", tpl, "--rules", f("rules.toml"),
		"--force", "law", "--period", "2024-05", "--json", "--unmasked")
	if code != exitOK {
		t.Fatalf("rank: exit %d: %s", code, errOut)
	}
	var ms []struct {
		Key, Name, Score, Grade string
		Rank                    int
		Indicators, Points      map[string]string
		Missing                 []string
	}
	if err := json.Unmarshal([]byte(out), &ms); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	type got struct {
		Name, Score, Grade   string
		Rank                 int
		Lectures, LecturePts string
		Missing              []string
	}
	var g []got
	for _, m := range ms {
		g = append(g, got{m.Name, m.Score, m.Grade, m.Rank, m.Indicators["普法讲座场次"], m.Points["普法讲座场次"], m.Missing})
	}
	want := []got{
		{"法甲", "90.00", qiancun.GradeCompetent, 1, "2.00", "10.00", nil},
		{"法乙", "70.00", qiancun.GradeCompetent, 2, "1.00", "5.00", nil},
	}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("May (-want +got):\n%s", diff)
	}

	// April and May: April has no 普法讲座场次, and says so. Sums: 法甲 8, 6, 4, 2, 2, 2;
	// 法乙 4, 6, 8, 2, 0, 1: the same points as in May.
	code, out, errOut = runCLI(t, "rank", "--db", db, "--templates", tpl, "--rules", f("rules.toml"),
		"--force", "law", "--period", "2024-Q2", "--json")
	if code != exitOK {
		t.Fatalf("rank Q2: exit %d: %s", code, errOut)
	}
	ms = nil
	if err := json.Unmarshal([]byte(out), &ms); err != nil {
		t.Fatal(err)
	}
	g = nil
	for _, m := range ms {
		g = append(g, got{m.Name, m.Score, m.Grade, m.Rank, m.Indicators["普法讲座场次"], m.Points["普法讲座场次"], m.Missing})
	}
	want = []got{
		{"法甲", "90.00", qiancun.GradeCompetent, 1, "2.00", "10.00", []string{"普法讲座场次"}},
		{"法乙", "70.00", qiancun.GradeCompetent, 2, "1.00", "5.00", []string{"普法讲座场次"}},
	}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("Q2 (-want +got):\n%s", diff)
	}
	code, out, errOut = runCLI(t, "rank", "--db", db, "--templates", tpl, "--rules", f("rules.toml"), "--force", "law", "--period", "2024-Q2")
	if code != exitOK || !strings.Contains(errOut, "普法讲座场次") || !strings.Contains(out, "普法讲座场次: weight 10.00, max = 2.00") ||
		!strings.Contains(out, "入村服务次数: weight 20.00, p80 = 8.00") {
		t.Errorf("table: exit %d, stdout %s, stderr %s; want the indicator shown and its missing months noted", code, out, errOut)
	}

	// The rules without the template, or the template without the rules, are refused at
	// start, naming the file and the indicator.
	code, _, errOut = runCLI(t, "rank", "--db", db, "--rules", f("rules.toml"), "--force", "law", "--period", "2024-05")
	if code != exitUsage || !strings.Contains(errOut, f("rules.toml")) || !strings.Contains(errOut, `"普法讲座场次" is not in the force's template`) {
		t.Errorf("rules without the template: exit %d, %s", code, errOut)
	}
	code, _, errOut = runCLI(t, "rank", "--db", db, "--templates", tpl, "--force", "law", "--period", "2024-05")
	if code != exitUsage || !strings.Contains(errOut, filepath.Join(tpl, "law.toml")) || !strings.Contains(errOut, `"普法讲座场次", which no rule reads`) {
		t.Errorf("template without the rules: exit %d, %s", code, errOut)
	}
}
