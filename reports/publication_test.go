package reports_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/reports"
)

// TestPublicationWorkbook: a publication's workbook says which draft it is, its id, hash
// and window, in every title block and in the document properties; 公示名单 is fit for a
// notice board (keys masked even for an administrator); objections and answers are
// listed; a correction says what it corrects and why.
func TestPublicationWorkbook(t *testing.T) {
	t.Parallel()
	hash := strings.Repeat("9f", 32)
	resolved := time.Date(2024, 7, 5, 3, 0, 0, 0, time.UTC)
	r := smallRanking()
	notice := &reports.Publication{
		ID: 12, Kind: qiancun.KindNotice, State: qiancun.Notice, Hash: hash,
		CreatedAt: time.Date(2024, 7, 2, 2, 0, 0, 0, time.UTC), CreatedBy: "考核办", Until: "2024-07-09",
		Objections: []qiancun.Objection{
			{ID: 1, PublicationID: 12, MemberKey: r.Members[1].Key, MemberName: "乙", RaisedBy: "乙", RaisedAt: time.Date(2024, 7, 3, 1, 0, 0, 0, time.UTC),
				Reason: "协调资金漏报", Resolution: qiancun.Upheld, ResolvedBy: "考核办", ResolvedAt: &resolved, Note: "已核实"},
			{ID: 2, PublicationID: 12, MemberKey: r.Members[3].Key, MemberName: "丁", RaisedBy: "丁", RaisedAt: time.Date(2024, 7, 4, 1, 0, 0, 0, time.UTC), Reason: "天数"},
		},
	}
	f := open(t, writeAppraisal(t, reports.AppraisalInput{Ranking: r, Sources: sources(), Made: made, Unmasked: true, Publication: notice}))
	wantSheets := []string{"汇总", "排名", "指标说明", "数据来源", "公示名单", "异议处理"}
	got := f.GetSheetList()
	for _, s := range wantSheets {
		if !contains(got, s) {
			t.Errorf("sheets %v: no %s", got, s)
		}
	}
	for _, s := range []string{"汇总", "排名", "数据来源", "异议处理"} {
		info := get(t, f, s, "A2")
		for _, want := range []string{"【公示稿】", "#12", hash, "2024年7月2日 至 2024年7月9日"} {
			if !strings.Contains(info, want) {
				t.Errorf("%s!A2 %q does not say %q", s, info, want)
			}
		}
	}
	props, err := f.GetDocProps()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"公示稿", "#12"} {
		if !strings.Contains(props.Title, want) {
			t.Errorf("title %q does not say %q", props.Title, want)
		}
	}
	if !strings.Contains(props.Description, hash) || !strings.Contains(props.Description, "2024年7月9日") {
		t.Errorf("description %q: no hash or window", props.Description)
	}
	if n := (reports.AppraisalInput{Ranking: r, Publication: notice}).Filename(); n != "第一书记考核结果_2024-Q2_公示稿_12.xlsx" {
		t.Errorf("file name %s", n)
	}

	// 公示名单: rank, name, masked key, district, score, grade; the window and where
	// objections go above.
	if info := get(t, f, "公示名单", "A2"); !strings.Contains(info, "2024年7月9日") || !strings.Contains(info, "异议") || !strings.Contains(info, "考核组") {
		t.Errorf("公示名单!A2 %q", info)
	}
	wantList := [][]string{
		{"排名", "姓名", "证件号", "区县", "总分", "等次"},
		{"1", "张三", qiancun.MaskID(r.Members[0].Key), "历城区", "91.23", "优秀"},
		{"2", `=HYPERLINK("http://evil.example/","点我")`, qiancun.MaskID(r.Members[1].Key), "平阴县", "70", "称职"},
	}
	if diff := cmp.Diff(wantList, rows(t, f, "公示名单", 3, 3, 6)); diff != "" {
		t.Errorf("公示名单 (-want +got):\n%s", diff)
	}
	if f, _ := f.GetCellFormula("公示名单", "B5"); f != "" {
		t.Errorf("a name became a formula: %s", f)
	}
	wantObs := [][]string{
		{"1", "乙", r.Members[1].Key, "乙", "2024-07-03 09:00", "协调资金漏报", "维持", "考核办", "2024-07-05 11:00", "已核实"},
		{"2", "丁", r.Members[3].Key, "丁", "2024-07-04 09:00", "天数", "待答复", "", "", ""},
	}
	if diff := cmp.Diff(wantObs, rows(t, f, "异议处理", 4, 2, 10)); diff != "" {
		t.Errorf("异议处理 (-want +got):\n%s", diff)
	}

	// A correction, masked.
	corr := &reports.Publication{ID: 13, Kind: qiancun.KindCorrection, State: qiancun.Final, Hash: hash, CreatedAt: made,
		Corrects: 12, Reason: "乙的协调资金漏报",
		Corrections: []reports.Correction{{Change: "变动", Key: r.Members[1].Key, Name: "乙", BeforeTotal: "60.00", AfterTotal: "70.00",
			BeforeRank: 3, AfterRank: 2, BeforeGrade: "称职", AfterGrade: "称职"}}}
	f = open(t, writeAppraisal(t, reports.AppraisalInput{Ranking: r, Made: made, Publication: corr}))
	if info := get(t, f, "更正说明", "A2"); !strings.Contains(info, "#12") || !strings.Contains(info, "乙的协调资金漏报") {
		t.Errorf("更正说明!A2 %q: want what it corrects and why", info)
	}
	if diff := cmp.Diff([]string{"变动", "乙", qiancun.MaskID(r.Members[1].Key), "60.00", "70.00", "3", "2", "称职", "称职"}, rows(t, f, "更正说明", 4, 1, 9)[0]); diff != "" {
		t.Errorf("更正说明 (-want +got):\n%s", diff)
	}
	if info := get(t, f, "排名", "A2"); !strings.Contains(info, "【更正稿】") || !strings.Contains(info, "更正发布 #12") {
		t.Errorf("排名!A2 %q", info)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
