package api_test

import (
	"bytes"
	"mime"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// submissionID finds the id of the current submission of a template for a month.
func submissionID(t *testing.T, env *testEnv, template, period string) string {
	t.Helper()
	list := decode[struct {
		Submissions []struct {
			ID      int64 `json:"id"`
			Current bool  `json:"current"`
		} `json:"submissions"`
	}](t, env.get(t, "/api/v1/submissions?template="+template+"&period="+period, asAdmin, 200))
	for _, s := range list.Submissions {
		if s.Current {
			return strconv.FormatInt(s.ID, 10)
		}
	}
	t.Fatalf("no current %s submission for %s", template, period)
	return ""
}

// download fetches a workbook, checks it is answered as one, and opens it.
func download(t *testing.T, env *testEnv, path, as string) (*excelize.File, *httptest.ResponseRecorder) {
	t.Helper()
	rec := env.run(t, scenario{path: path, as: as, want: 200})
	if ct := rec.Header().Get("Content-Type"); ct != xlsxType {
		t.Errorf("Content-Type %q, want %q", ct, xlsxType)
	}
	f, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatalf("%s as %s: not a workbook: %v", path, as, err)
	}
	t.Cleanup(func() { f.Close() })
	return f, rec
}

// column returns the values under a header of row 3 (where every table sheet has its
// header), from row 4 down.
func column(t *testing.T, f *excelize.File, sheet, header string) []string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 3 {
		t.Fatalf("%s: %d rows, want a header in row 3", sheet, len(rows))
	}
	col := -1
	for i, h := range rows[2] {
		if h == header {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("%s: no column %s in the header %q", sheet, header, rows[2])
	}
	var out []string
	for _, r := range rows[3:] {
		v := ""
		if col < len(r) {
			v = r[col]
		}
		out = append(out, v)
	}
	return out
}

// cellsHolding returns the cells of every sheet whose value holds one of keys.
func cellsHolding(t *testing.T, f *excelize.File, keys map[string]bool) []string {
	t.Helper()
	var found []string
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			for j, v := range r {
				if keys[strings.TrimSpace(v)] {
					cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
					found = append(found, sheet+"!"+cell)
				}
			}
		}
	}
	return found
}

func TestWorkbooks(t *testing.T) {
	env := sharedEnv(t)
	// Every first secretary's 身份证号, as only admin sees them.
	keys := map[string]bool{}
	for _, m := range allMembers(t, env, "first_secretary", "2024-Q2", asAdmin) {
		keys[m.Key] = true
	}
	lcTotal := decode[rankingPage](t, env.get(t, "/api/v1/rankings/first_secretary?period=2024-Q2&limit=1", asLeaderLC, 200)).Total
	if lcTotal == 0 || lcTotal == len(keys) {
		t.Fatalf("历城区 has %d of %d first secretaries: the district test would prove nothing", lcTotal, len(keys))
	}
	const appraisal = "/api/v1/reports/appraisal.xlsx?force=first_secretary&period=2024-Q2"
	appraisalSheets := []string{"汇总", "排名", "指标说明", "数据来源"}

	t.Run("appraisal as evaluator: the city, keys masked", func(t *testing.T) {
		f, _ := download(t, env, appraisal, asEval)
		if diff := cmp.Diff(appraisalSheets, f.GetSheetList()); diff != "" {
			t.Errorf("sheets (-want +got):\n%s", diff)
		}
		ks := column(t, f, "排名", "身份证号")
		if len(ks) != len(keys) {
			t.Errorf("排名 has %d members, want %d", len(ks), len(keys))
		}
		for i, k := range ks {
			if !maskedID.MatchString(k) {
				t.Errorf("排名 row %d: key %q is not masked", 4+i, k)
			}
		}
		if leaks := cellsHolding(t, f, keys); len(leaks) > 0 {
			t.Errorf("unmasked 身份证号 in %d cells, e.g. %s", len(leaks), leaks[0])
		}
	})
	t.Run("appraisal as a district leader: its district only, keys masked", func(t *testing.T) {
		f, _ := download(t, env, appraisal, asLeaderLC)
		if diff := cmp.Diff(appraisalSheets, f.GetSheetList()); diff != "" {
			t.Errorf("sheets (-want +got):\n%s", diff)
		}
		ds := column(t, f, "排名", "区县")
		if len(ds) != lcTotal {
			t.Errorf("排名 has %d members, want 历城区's %d", len(ds), lcTotal)
		}
		for i, d := range ds {
			if d != "历城区" {
				t.Errorf("排名 row %d: district %q", 4+i, d)
			}
		}
		if leaks := cellsHolding(t, f, keys); len(leaks) > 0 {
			t.Errorf("unmasked 身份证号 in %d cells, e.g. %s", len(leaks), leaks[0])
		}
	})
	t.Run("appraisal as admin: masked unless asked", func(t *testing.T) {
		f, _ := download(t, env, appraisal, asAdmin)
		if leaks := cellsHolding(t, f, keys); len(leaks) > 0 {
			t.Errorf("unmasked 身份证号 in %d cells, e.g. %s", len(leaks), leaks[0])
		}
		f, _ = download(t, env, appraisal+"&unmasked=true", asAdmin)
		ks := column(t, f, "排名", "身份证号")
		for _, k := range ks {
			if !keys[k] {
				t.Fatalf("排名: key %q is not a member's 身份证号 in full", k)
			}
		}
		if len(ks) != len(keys) {
			t.Errorf("排名 has %d members, want %d", len(ks), len(keys))
		}
	})

	const coverage = "/api/v1/reports/coverage.xlsx?period=2024-05"
	for _, as := range []string{asEval, asLeaderLC} {
		t.Run("coverage as "+as, func(t *testing.T) {
			f, _ := download(t, env, coverage, as)
			if diff := cmp.Diff([]string{"汇总", "帮扶村"}, f.GetSheetList()); diff != "" {
				t.Errorf("sheets (-want +got):\n%s", diff)
			}
			ds := column(t, f, "帮扶村", "区县")
			other := 0
			for _, d := range ds {
				if d != "历城区" {
					other++
				}
			}
			if len(ds) == 0 || as == asLeaderLC && other > 0 || as == asEval && other == 0 {
				t.Errorf("帮扶村: %d villages, %d outside 历城区", len(ds), other)
			}
		})
	}

	// April's first secretaries: a template of the uploader's department.
	receipt := "/api/v1/submissions/" + submissionID(t, env, "first_secretary", "2024-04") + "/receipt.xlsx"
	for _, as := range []string{asEval, asUploader, asAdmin} {
		t.Run("receipt as "+as, func(t *testing.T) {
			f, _ := download(t, env, receipt, as)
			sheets := f.GetSheetList()
			if len(sheets) < 2 || sheets[0] != "问题清单" {
				t.Errorf("sheets %q, want 问题清单 first, then the department's", sheets)
			}
			leaks := cellsHolding(t, f, keys)
			if as == asAdmin && len(leaks) == 0 {
				t.Error("admin's receipt shows no 身份证号 in full")
			}
			if as != asAdmin && len(leaks) > 0 {
				t.Errorf("unmasked 身份证号 in %d cells, e.g. %s", len(leaks), leaks[0])
			}
		})
	}
	// The leader may not read receipts at all: TestRouteRoles.
}

func TestWorkbookRefusals(t *testing.T) {
	env := sharedEnv(t)
	law := "/api/v1/submissions/" + submissionID(t, env, "law", "2024-04") + "/receipt.xlsx"
	env.get(t, law, asEval, 200)
	const appraisal = "/api/v1/reports/appraisal.xlsx?force=first_secretary&period=2024-Q2"
	tests := []struct {
		name, path, as, param string
		want                  int
	}{
		{"no force", "/api/v1/reports/appraisal.xlsx?period=2024-Q2", asEval, "force", 400},
		{"unknown force", "/api/v1/reports/appraisal.xlsx?force=nobody&period=2024-Q2", asEval, "force", 400},
		{"no period", "/api/v1/reports/appraisal.xlsx?force=law", asEval, "period", 400},
		{"malformed period", "/api/v1/reports/appraisal.xlsx?force=law&period=2024-13", asEval, "period", 400},
		{"unknown district", appraisal + "&district=999999", asEval, "district", 400},
		{"unmasked is not a boolean", appraisal + "&unmasked=maybe", asAdmin, "unmasked", 400},
		{"an evaluator asks for keys unmasked", appraisal + "&unmasked=true", asEval, "", 403},
		{"a leader asks for keys unmasked", appraisal + "&unmasked=1", asLeader, "", 403},
		{"a district leader asks for another district", appraisal + "&district=370102", asLeaderLC, "", 403},
		{"coverage without period", "/api/v1/reports/coverage.xlsx", asEval, "period", 400},
		{"coverage with a malformed period", "/api/v1/reports/coverage.xlsx?period=24", asEval, "period", 400},
		{"coverage of an unknown district", "/api/v1/reports/coverage.xlsx?period=2024-05&district=999999", asEval, "district", 400},
		{"coverage of another district for a district leader", "/api/v1/reports/coverage.xlsx?period=2024-05&district=370102", asLeaderLC, "", 403},
		{"a receipt id that is not a number", "/api/v1/submissions/abc/receipt.xlsx", asEval, "id", 400},
		{"no such submission", "/api/v1/submissions/999999/receipt.xlsx", asEval, "", 404},
		{"an uploader asks for another template's receipt", law, asUploader, "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := map[int]string{400: "bad_parameter", 403: "forbidden", 404: "not_found"}[tt.want]
			rec := env.run(t, scenario{path: tt.path, as: tt.as, want: tt.want, check: wantError(code, tt.param)})
			if cd := rec.Header().Get("Content-Disposition"); cd != "" {
				t.Errorf("an error offers a download: %s", cd)
			}
		})
	}
}

// TestWorkbookNames checks that Content-Disposition carries the Chinese file name, as
// RFC 5987 encodes it, in a header of ASCII only.
func TestWorkbookNames(t *testing.T) {
	env := sharedEnv(t)
	tests := []struct {
		path, as, want string
	}{
		{"/api/v1/reports/appraisal.xlsx?force=first_secretary&period=2024-q2", asEval, "第一书记考核结果_2024-Q2.xlsx"},
		{"/api/v1/reports/appraisal.xlsx?force=law&period=2024-Q2", asLeaderLC, "法治专员考核结果_2024-Q2_历城区.xlsx"},
		{"/api/v1/reports/coverage.xlsx?period=2024-05&district=370102", asEval, "帮扶村覆盖情况_2024-05_历下区.xlsx"},
		{"/api/v1/submissions/" + submissionID(t, env, "first_secretary", "2024-05") + "/receipt.xlsx", asEval, "第一书记工作情况表_2024-05_回执.xlsx"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			rec := env.run(t, scenario{path: tt.path, as: tt.as, want: 200})
			cd := rec.Header().Get("Content-Disposition")
			for i := 0; i < len(cd); i++ {
				if cd[i] < ' ' || cd[i] > '~' {
					t.Fatalf("Content-Disposition %q is not printable ASCII", cd)
				}
			}
			disp, params, err := mime.ParseMediaType(cd)
			if err != nil {
				t.Fatalf("Content-Disposition %q: %v", cd, err)
			}
			if disp != "attachment" || params["filename"] != tt.want {
				t.Errorf("Content-Disposition %q parses to %s, filename %q; want attachment, %q", cd, disp, params["filename"], tt.want)
			}
		})
	}
}
