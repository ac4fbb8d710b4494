package reports_test

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/reports"
)

func coverageInput() reports.CoverageInput {
	all := []qiancun.Force{qiancun.FirstSecretary, qiancun.Enterprise, qiancun.Finance, qiancun.Law, qiancun.Postal, qiancun.Tech, qiancun.Culture}
	return reports.CoverageInput{
		Period: "2024-05",
		Made:   made,
		Villages: []reports.Village{
			{Code: "370112001001", Name: "东村", DistrictCode: "370112", District: "历城区", TownCode: "370112001", Town: "港沟街道",
				Forces: []qiancun.Force{qiancun.FirstSecretary, qiancun.Postal}},
			{Code: "370112001002", Name: "=1+1", DistrictCode: "370112", District: "历城区", TownCode: "370112001", Town: "港沟街道",
				Zone: "高新区", Forces: all},
			{Code: "370124002001", Name: "南村", DistrictCode: "370124", District: "平阴县", TownCode: "370124002", Town: "东阿镇"},
		},
		Districts: []reports.DistrictCoverage{
			{Code: "370112", Name: "历城区", Villages: 2, AllSeven: 1, Reached: map[qiancun.Force]int64{
				qiancun.FirstSecretary: 2, qiancun.Enterprise: 1, qiancun.Finance: 1, qiancun.Law: 1, qiancun.Postal: 2, qiancun.Tech: 1, qiancun.Culture: 1}},
			{Code: "370124", Name: "平阴县", Villages: 1, None: 1, Reached: map[qiancun.Force]int64{}},
			{Code: "", Name: "济南市", Villages: 3, AllSeven: 1, None: 1, Reached: map[qiancun.Force]int64{
				qiancun.FirstSecretary: 2, qiancun.Enterprise: 1, qiancun.Finance: 1, qiancun.Law: 1, qiancun.Postal: 2, qiancun.Tech: 1, qiancun.Culture: 1}},
		},
	}
}

func TestCoverageWorkbook(t *testing.T) {
	t.Parallel()
	in := coverageInput()
	var buf bytes.Buffer
	if err := reports.WriteCoverage(&buf, in); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	f := open(t, data)
	if diff := cmp.Diff([]string{"汇总", "帮扶村"}, f.GetSheetList()); diff != "" {
		t.Fatalf("sheets (-want +got):\n%s", diff)
	}
	title := []string{"帮扶村", "2024年5月", "全市"}

	t.Run("汇总", func(t *testing.T) {
		headers := []string{"区县代码", "区县", "帮扶村数"}
		for _, fi := range qiancun.Forces() {
			headers = append(headers, fi.Name+"覆盖村数", fi.Name+"覆盖率")
		}
		headers = append(headers, "七支力量全覆盖村数", "全覆盖率", "无力量覆盖村数")
		checkReportSheet(t, data, f, "汇总", title, headers, 3)
		got := rows(t, f, "汇总", 4, 3, len(headers))
		third, twoThirds := "0.333333", "0.666667"
		want := [][]string{
			// code, name, villages; per force: reached, share; all seven, share; none
			{"370112", "历城区", "2", "2", "1", "1", "0.5", "1", "0.5", "1", "0.5", "2", "1", "1", "0.5", "1", "0.5", "1", "0.5", "0"},
			{"370124", "平阴县", "1", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "1"},
			{"", "济南市", "3", "2", twoThirds, "1", third, "1", third, "1", third, "2", twoThirds, "1", third, "1", third, "1", third, "1"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("汇总 (-want +got):\n%s", diff)
		}
		if n := numFmt(t, f, "汇总", "E4"); n != 10 {
			t.Errorf("share format %d, want 10 (0.00%%)", n)
		}
	})

	t.Run("帮扶村", func(t *testing.T) {
		headers := []string{"村代码", "区县", "镇街", "村名", "管理主体"}
		for _, fi := range qiancun.Forces() {
			headers = append(headers, fi.Name)
		}
		headers = append(headers, "覆盖力量数")
		checkReportSheet(t, data, f, "帮扶村", title, headers, 3)
		want := [][]string{
			{"370112001001", "历城区", "港沟街道", "东村", "", "✓", "", "", "", "✓", "", "", "2"},
			{"370112001002", "历城区", "港沟街道", "=1+1", "高新区", "✓", "✓", "✓", "✓", "✓", "✓", "✓", "7"},
			{"370124002001", "平阴县", "东阿镇", "南村", "", "", "", "", "", "", "", "", "0"},
		}
		if diff := cmp.Diff(want, rows(t, f, "帮扶村", 4, 3, len(headers))); diff != "" {
			t.Errorf("帮扶村 (-want +got):\n%s", diff)
		}
		stringCell(t, f, "帮扶村", "D5", "=1+1")
		cfs, err := f.GetConditionalFormats("帮扶村")
		if err != nil {
			t.Fatal(err)
		}
		if rules := cfs["M4:M6"]; len(rules) != 1 || rules[0].Value != "0" {
			t.Errorf("no red mark for a village no force reaches: %+v", cfs)
		}
	})
	if got := in.Filename(); got != "帮扶村覆盖情况_2024-05.xlsx" {
		t.Errorf("Filename() = %q", got)
	}
}
