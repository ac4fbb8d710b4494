package api_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/api"
	"github.com/qiancun/qiancun/ingest"
)

// fsHeader is the first-secretary template's header row.
var fsHeader = []any{"姓名", "身份证号", "派出单位", "村代码", "驻村天数", "走访农户数", "协调资金", "实施项目数", "村集体增收", "办实事数", "化解矛盾纠纷数"}

// fsWorkbook writes a small first-secretary workbook with the rows given.
func fsWorkbook(t *testing.T, rows ...[]any) []byte {
	t.Helper()
	return workbook(t, fsHeader, rows...)
}

// workbook writes a one-sheet workbook: the header, then the rows.
func workbook(t *testing.T, header []any, rows ...[]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetRow("Sheet1", "A1", &header); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if err := f.SetSheetRow("Sheet1", "A"+strconv.Itoa(i+2), &r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// zipBomb is an .xlsx-looking zip whose one sheet unpacks to size bytes.
func zipBomb(t *testing.T, size int) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte(" "), 1<<20)
	for n := 0; n < size; n += len(chunk) {
		w.Write(chunk)
	}
	for _, name := range []string{"[Content_Types].xml", "xl/workbook.xml"} {
		w, _ := zw.Create(name)
		w.Write([]byte(`<?xml version="1.0"?><x/>`))
	}
	zw.Close()
	return b.Bytes()
}

type receipt = qiancun.Receipt

// uploadEnv is a fresh server with the registry and April's first secretaries.
func uploadEnv(t *testing.T, cfg api.Config) *testEnv {
	return newEnv(t, envOptions{files: []string{registryFile, "第一书记工作情况表_2024-04.xlsx"}, config: cfg})
}

func TestUploads(t *testing.T) {
	t.Parallel()
	env := uploadEnv(t, api.Config{MaxUploadBytes: 1 << 20, Limits: ingest.Limits{MaxUnpackedBytes: 8 << 20}})
	may := readFile(t, demoFile(t, "第一书记工作情况表_2024-05.xlsx"))
	law := readFile(t, demoFile(t, "法治专员工作表_2024-05.xlsx"))
	// Two members of 历城区's first village, one with a bad 身份证号.
	village := decode[struct {
		Villages []struct{ Code string } `json:"villages"`
	}](t, env.get(t, "/api/v1/villages?period=2024-04&district=370112&limit=1", asAdmin, 200)).Villages[0].Code
	goodID, badID := qiancun.MakeID("37011219800101123"), "370112198001011230"
	if qiancun.ValidID(badID) {
		badID = "370112198001011231"
	}
	lawNoPeriod := workbook(t, []any{"姓名", "身份证号", "所属单位", "村代码", "入村服务次数", "法律咨询件数", "化解矛盾纠纷件数", "法治宣传场次", "解决实际问题数"},
		[]any{"王五", goodID, "市委政法委", village, 3, 2, 1, 1, 1})
	twoRows := fsWorkbook(t,
		[]any{"张三", goodID, "市委组织部", village, 20, 10, "1.5万", 1, 0, 2, 1},
		[]any{"李四", badID, "市委组织部", village, 20, 10, 100, 1, 0, 2, 1},
	)

	rankTotal := func(t *testing.T, period string) int {
		return decode[rankingPage](t, env.get(t, "/api/v1/rankings/first_secretary?period="+period+"&limit=1", asEval, 200)).Total
	}
	countSubmissions := func(t *testing.T) int {
		return decode[struct{ Total int }](t, env.get(t, "/api/v1/submissions", asAdmin, 200)).Total
	}
	post := func(t *testing.T, as string, body func() (io.Reader, string), want int) []byte {
		t.Helper()
		return env.run(t, scenario{method: http.MethodPost, path: "/api/v1/submissions", as: as, body: body, want: want}).Body.Bytes()
	}

	// Sequential: each step builds on the database the earlier ones left.
	t.Run("a good file is accepted and drops the cached ranking", func(t *testing.T) {
		if n := rankTotal(t, "2024-05"); n != 0 {
			t.Fatalf("May's cohort before the upload: %d", n)
		}
		rc := decode[receipt](t, post(t, asUploader, multipartBody("第一书记工作情况表_2024-05.xlsx", may, nil), 200))
		if rc.Status != qiancun.Accepted || rc.Accepted != 2383 || rc.SubmissionID == 0 || rc.Template != "first_secretary" || rc.Period != "2024-05" {
			t.Fatalf("receipt %+v", rc)
		}
		if n := rankTotal(t, "2024-05"); n != 2383 {
			t.Errorf("May's cohort after the upload: %d, want 2383", n)
		}
		got := decode[receipt](t, env.get(t, "/api/v1/submissions/"+strconv.FormatInt(rc.SubmissionID, 10), asUploader, 200))
		if got.SubmissionID != rc.SubmissionID || got.Status != rc.Status || got.SHA256 != rc.SHA256 {
			t.Errorf("GET the submission: %+v", got)
		}
	})
	t.Run("the same file again changes nothing", func(t *testing.T) {
		rc := decode[receipt](t, post(t, asUploader, multipartBody("again.xlsx", may, nil), 200))
		if rc.Status != qiancun.Unchanged {
			t.Errorf("status %s, want unchanged", rc.Status)
		}
	})
	t.Run("a bad file gets its receipt, keys masked", func(t *testing.T) {
		n := countSubmissions(t)
		rc := decode[receipt](t, post(t, asAdmin, multipartBody("bad.xlsx", twoRows, map[string]string{"period": "2024-07"}), 200))
		if rc.Status != qiancun.Rejected || rc.Accepted != 0 || rc.SubmissionID == 0 {
			t.Fatalf("receipt %+v", rc)
		}
		var bad *qiancun.Issue
		for i := range rc.Issues {
			if rc.Issues[i].Rule == qiancun.BadID {
				bad = &rc.Issues[i]
			}
		}
		if bad == nil || bad.Cell != "B3" || bad.Value != qiancun.MaskID(badID) {
			t.Errorf("bad_id issue %+v, want cell B3 and the masked value", bad)
		}
		if countSubmissions(t) != n+1 {
			t.Error("a rejected file is kept in the history too")
		}
		if rankTotal(t, "2024-07") != 0 {
			t.Error("a rejected file reached a ranking")
		}
	})
	t.Run("accept_valid keeps the good row", func(t *testing.T) {
		rc := decode[receipt](t, post(t, asAdmin, multipartBody("bad.xlsx", twoRows, map[string]string{"period": "2024-07", "accept_valid": "true"}), 200))
		if rc.Status != qiancun.Partial || rc.Accepted != 1 || rc.Quarantined != 1 {
			t.Errorf("receipt %+v", rc)
		}
		if rankTotal(t, "2024-07") != 1 {
			t.Error("the accepted row is not ranked")
		}
	})
	t.Run("a dry run stores nothing", func(t *testing.T) {
		n := countSubmissions(t)
		rc := decode[receipt](t, post(t, asAdmin, multipartBody("x.xlsx", twoRows, map[string]string{"period": "2024-08", "dry_run": "true"}), 200))
		if rc.Status != qiancun.Rejected || rc.SubmissionID != 0 || countSubmissions(t) != n {
			t.Errorf("dry run %+v stored something", rc)
		}
	})
	t.Run("an uploader's file of another department is refused and not kept", func(t *testing.T) {
		n := countSubmissions(t)
		post(t, asUploader, multipartBody("法治专员工作表_2024-05.xlsx", law, nil), 403)
		post(t, asUploader, multipartBody("法治专员工作表_2024-05.xlsx", law, map[string]string{"template": "law"}), 403)
		// Recognised as law, but with no period: refused when it would be written.
		post(t, asUploader, multipartBody("无期间.xlsx", lawNoPeriod, nil), 403)
		if countSubmissions(t) != n {
			t.Error("a refused file was stored")
		}
		// The administrator may.
		rc := decode[receipt](t, post(t, asAdmin, multipartBody("法治专员工作表_2024-05.xlsx", law, nil), 200))
		if rc.Status != qiancun.Accepted {
			t.Errorf("admin's law file: %s", rc.Status)
		}
		// The very same file from the uploader does not get the law receipt back as unchanged.
		post(t, asUploader, multipartBody("法治专员工作表_2024-05.xlsx", law, nil), 403)
		// And the uploader cannot read it back.
		env.get(t, "/api/v1/submissions/"+strconv.FormatInt(rc.SubmissionID, 10), asUploader, 404)
		list := decode[struct {
			Submissions []struct{ Template string } `json:"submissions"`
		}](t, env.get(t, "/api/v1/submissions?limit=500", asUploader, 200))
		for _, s := range list.Submissions {
			if s.Template != "first_secretary" && s.Template != "villages" {
				t.Errorf("the uploader sees a %s submission", s.Template)
			}
		}
	})
	t.Run("a path in the file name keeps the base name only", func(t *testing.T) {
		for _, name := range []string{"../../第一书记工作情况表_2024-09.xlsx", `C:\a\b\第一书记工作情况表_2024-09.xlsx`, "/etc/第一书记工作情况表_2024-09.xlsx"} {
			rc := decode[receipt](t, post(t, asAdmin, multipartBody(name, twoRows, map[string]string{"dry_run": "1"}), 200))
			if rc.File != "第一书记工作情况表_2024-09.xlsx" || rc.Period != "2024-09" {
				t.Errorf("%s: receipt file %q period %q", name, rc.File, rc.Period)
			}
		}
	})

	refused := []struct {
		name  string
		as    string
		body  func() (io.Reader, string)
		want  int
		code  string
		rule  qiancun.Rule // for a 200: the receipt's file-level rule
		param string
	}{
		{"just over the size limit", asAdmin, multipartBody("big.xlsx", make([]byte, 1<<20+1), nil), 413, "too_large", "", ""},
		{"over the size limit, declared", asAdmin, multipartBody("big.xlsx", make([]byte, 2<<20), nil), 413, "too_large", "", ""},
		{"over the size limit, streamed", asAdmin, func() (io.Reader, string) {
			b, ct := multipartBody("big.xlsx", make([]byte, 2<<20), nil)()
			return io.MultiReader(b), ct // no length known in advance
		}, 413, "too_large", "", ""},
		{"a huge part besides the file, streamed", asAdmin, func() (io.Reader, string) {
			b, ct := multipartBody("a.xlsx", twoRows, map[string]string{"junk": strings.Repeat("x", 2<<20)})()
			return io.MultiReader(b), ct
		}, 413, "too_large", "", ""},
		{"a zip bomb", asAdmin, multipartBody("bomb.xlsx", zipBomb(t, 64<<20), map[string]string{"period": "2024-10"}), 200, "", qiancun.BadFile, ""},
		{"not a spreadsheet", asAdmin, multipartBody("photo.xlsx", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"), map[string]string{"period": "2024-10"}), 200, "", qiancun.BadFile, ""},
		{"an empty file", asAdmin, multipartBody("empty.xlsx", nil, map[string]string{"period": "2024-10"}), 200, "", qiancun.BadFile, ""},
		{"no file part", asAdmin, multipartBody("", nil, map[string]string{"period": "2024-10"}), 400, "bad_parameter", "", "file"},
		{"not multipart", asAdmin, func() (io.Reader, string) { return strings.NewReader("{}"), "application/json" }, 400, "bad_parameter", "", "file"},
		{"a malformed period", asAdmin, multipartBody("a.xlsx", twoRows, map[string]string{"period": "May"}), 400, "bad_parameter", "", "period"},
		{"an unknown template", asAdmin, multipartBody("a.xlsx", twoRows, map[string]string{"template": "x"}), 400, "bad_parameter", "", "template"},
		{"a flag that is not a boolean", asAdmin, multipartBody("a.xlsx", twoRows, map[string]string{"dry_run": "maybe"}), 400, "bad_parameter", "", "dry_run"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			sc := scenario{method: http.MethodPost, path: "/api/v1/submissions", as: tt.as, body: tt.body, want: tt.want}
			if tt.code != "" {
				sc.check = wantError(tt.code, tt.param)
			}
			b := env.run(t, sc).Body.Bytes()
			if tt.want == 200 {
				rc := decode[receipt](t, b)
				if rc.Status != qiancun.Rejected || len(rc.Issues) == 0 || rc.Issues[0].Rule != tt.rule {
					t.Errorf("receipt %+v, want rejected with %s", rc, tt.rule)
				}
			}
		})
	}
	t.Run("a declared length over the limit is refused unread", func(t *testing.T) {
		body := &countingReader{r: bytes.NewReader(make([]byte, 3<<20))}
		req := httptest.NewRequest(http.MethodPost, "/api/v1/submissions", body)
		req.ContentLength = 3 << 20
		req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
		req.Header.Set("Authorization", "Bearer tok-"+asAdmin)
		rec := httptest.NewRecorder()
		env.srv.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusRequestEntityTooLarge || body.n != 0 {
			t.Errorf("status %d after reading %d bytes, want 413 before reading", rec.Code, body.n)
		}
	})
	t.Run("the server still answers", func(t *testing.T) {
		env.get(t, "/readyz", asNone, 200)
	})
	t.Run("the submissions are counted in the metrics", func(t *testing.T) {
		m := scrape(t, env)
		for series, want := range map[string]float64{
			`qiancun_submissions_total{status="accepted",template="first_secretary"}`:  1,
			`qiancun_submissions_total{status="unchanged",template="first_secretary"}`: 1,
			`qiancun_submissions_total{status="rejected",template="first_secretary"}`:  1,
			`qiancun_submissions_total{status="partial",template="first_secretary"}`:   1,
			`qiancun_submissions_total{status="accepted",template="law"}`:              1,
			`qiancun_submission_rows_accepted_total{template="first_secretary"}`:       2384,
			`qiancun_submission_rows_quarantined_total{template="first_secretary"}`:    1,
		} {
			if m[series] != want {
				t.Errorf("%s = %v, want %v", series, m[series], want)
			}
		}
		if m[`qiancun_submission_last_accepted_timestamp_seconds{template="first_secretary"}`] == 0 {
			t.Error("no last-accepted time for first_secretary")
		}
		if m[`qiancun_http_requests_total{code="413",method="POST",route="/api/v1/submissions"}`] != 5 {
			t.Error("the 413s are not counted by route")
		}
	})
}

// scrape reads /metrics as the monitor: series (name{labels}) -> value.
func scrape(t *testing.T, env *testEnv) map[string]float64 {
	t.Helper()
	b := env.get(t, "/metrics", asMonitor, 200)
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
