package api_test

import (
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/api"
	"github.com/qiancun/qiancun/internal/testtool"
	"github.com/qiancun/qiancun/store"
)

// twinIDs returns two valid 身份证号 of district that mask alike (same first 6 and last 4).
func twinIDs(t *testing.T, district string) (string, string) {
	t.Helper()
	a := qiancun.MakeID(district + "19800101" + "011")
	for day := 2; day <= 28; day++ {
		b := qiancun.MakeID(fmt.Sprintf("%s198001%02d011", district, day))
		if b[17] == a[17] {
			return a, b
		}
	}
	t.Fatal("no twin found")
	return "", ""
}

// hardEnv is a server over a registry of two districts and one month of first secretaries:
// in 历城区 (370112) one whose name holds a 身份证号; in 平阴县 (370124) two whose keys mask
// alike.
func hardEnv(t *testing.T) (*testEnv, string) {
	t.Helper()
	env := newEnv(t, envOptions{})
	registry := "村代码,区县,镇街,村名\n370112001001,历城区,港沟街道,东村\n370124002001,平阴县,东阿镇,南村\n"
	env.run(t, scenario{method: http.MethodPost, path: "/api/v1/submissions", as: asAdmin, want: 200,
		body: multipartBody("帮扶村名册.csv", []byte(registry), nil)})
	twinA, twinB := twinIDs(t, "370124")
	nameID := qiancun.MakeID("37010219660606006")
	rows := []string{
		"姓名,身份证号,派出单位,村代码,驻村天数,走访农户数,协调资金(万元),实施项目数,村集体增收(万元),办实事数,化解矛盾纠纷数",
		fmt.Sprintf("张三%s,%s,市委组织部,370112001001,20,10,1,1,1,1,1", nameID, qiancun.MakeID("37011219800101001")),
		fmt.Sprintf("李四,%s,市委组织部,370124002001,20,10,1,1,1,1,1", twinA),
		fmt.Sprintf("王五,%s,市委组织部,370124002001,21,11,1,1,1,1,1", twinB),
	}
	b := env.run(t, scenario{method: http.MethodPost, path: "/api/v1/submissions", as: asAdmin, want: 200,
		body: multipartBody("第一书记_2024-05.csv", []byte(strings.Join(rows, "\n")), nil)})
	if rc := decode[qiancun.Receipt](t, b.Body.Bytes()); rc.Status != qiancun.Accepted {
		t.Fatalf("first secretaries: %+v", rc)
	}
	return env, nameID
}

func TestHardenedAnswers(t *testing.T) {
	t.Parallel()
	env, nameID := hardEnv(t)
	twinA, _ := twinIDs(t, "370124")
	masked := qiancun.MaskID(twinA)
	ranking := "/api/v1/rankings/first_secretary?period=2024-05"

	t.Run("an ID typed in a name is masked for all but an administrator", func(t *testing.T) {
		for _, as := range []string{asEval, asLeader, asLeaderLC} {
			if body := string(env.get(t, ranking, as, 200)); strings.Contains(body, nameID) || !strings.Contains(body, qiancun.MaskID(nameID)) {
				t.Errorf("as %s the ranking shows %s unmasked (or not at all): %.400s", as, nameID, body)
			}
		}
		if body := string(env.get(t, ranking, asAdmin, 200)); !strings.Contains(body, nameID) {
			t.Errorf("the administrator does not see the name as typed: %.400s", body)
		}
		// Nor can a search for the number tell whether it hides in a name.
		if p := decode[rankingPage](t, env.get(t, ranking+"&q="+nameID[8:14], asEval, 200)); p.Total != 0 {
			t.Errorf("q= of the masked digits finds %d members", p.Total)
		}
		if p := decode[rankingPage](t, env.get(t, ranking+"&q="+nameID[8:14], asAdmin, 200)); p.Total != 1 {
			t.Errorf("the administrator's q= finds %d members, want 1", p.Total)
		}
	})
	t.Run("a district's leader probing another district's shared masked key gets 404", func(t *testing.T) {
		path := "/api/v1/members/first_secretary/" + masked + "/scorecard?period=2024-05"
		env.run(t, scenario{path: path, as: asLeaderLC, want: 404, check: wantError("not_found", "")})
		// Where the leader may look, the ambiguity is real and said so.
		env.run(t, scenario{path: path, as: asEval, want: 400})
	})
	t.Run("headers", func(t *testing.T) {
		for _, sc := range []scenario{
			{path: ranking, as: asEval, want: 200},
			{path: "/api/v1/submissions", as: asAdmin, want: 200},
			{path: "/api/v1/submissions/1", as: asAdmin, want: 200},
			{path: "/api/v1/rankings/nope", as: asEval, want: 400},
			{path: "/api/v1/rankings/first_secretary", as: asNone, want: 401},
		} {
			rec := env.run(t, sc)
			if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("%s: X-Content-Type-Options %q", sc.path, got)
			}
			if got := rec.Header().Get("Cache-Control"); !strings.Contains(got, "no-store") {
				t.Errorf("%s: Cache-Control %q", sc.path, got)
			}
		}
		rec := env.run(t, scenario{path: "/api/v1/openapi.json", want: 200})
		if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("openapi.json: X-Content-Type-Options %q", got)
		}
	})
}

// TestSlowUploadHoldsNoSlot: with one upload slot, an upload whose body trickles in does not
// keep another from being answered.
func TestSlowUploadHoldsNoSlot(t *testing.T) {
	t.Parallel()
	env := newEnv(t, envOptions{config: api.Config{MaxConcurrentUploads: 1}})
	pr, pw := io.Pipe()
	defer pw.Close()
	mw := multipart.NewWriter(pw)
	slowDone := make(chan int, 1)
	go func() {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/submissions", pr)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer tok-"+asAdmin)
		rec := httptest.NewRecorder()
		env.srv.Handler().ServeHTTP(rec, req)
		slowDone <- rec.Code
	}()
	fw, err := mw.CreateFormFile("file", "帮扶村名册.csv")
	if err != nil {
		t.Fatal(err)
	}
	// Once this write returns, the slow upload's handler is reading its body.
	if _, err := fw.Write([]byte("村代码,区县,镇街,村名\n")); err != nil {
		t.Fatal(err)
	}

	fast := make(chan int, 1)
	go func() {
		b, ctype := multipartBody("帮扶村名册.csv", []byte("村代码,区县,镇街,村名\n370112001001,历城区,港沟街道,东村\n"), nil)()
		req := httptest.NewRequest(http.MethodPost, "/api/v1/submissions", b)
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Authorization", "Bearer tok-"+asAdmin)
		rec := httptest.NewRecorder()
		env.srv.Handler().ServeHTTP(rec, req)
		fast <- rec.Code
	}()
	select {
	case code := <-fast:
		if code != http.StatusOK {
			t.Errorf("the other upload: status %d", code)
		}
	case <-time.After(60 * time.Second): // a bound on a hang, not a measure of speed
		t.Fatal("the other upload waited for the slow one")
	}
	// The slow upload finishes when its body does.
	if _, err := fw.Write([]byte("370124002001,平阴县,东阿镇,南村\n")); err != nil {
		t.Fatal(err)
	}
	mw.Close()
	pw.Close()
	if code := <-slowDone; code != http.StatusOK {
		t.Errorf("the slow upload: status %d", code)
	}
}

// TestRejectedQuota: once an uploader's rejected files fill the quota, a rejected upload is
// answered with its receipt but not stored; a good one still is.
func TestRejectedQuota(t *testing.T) {
	t.Parallel()
	env := newEnv(t, envOptions{config: api.Config{RejectedQuotaBytes: 200}})
	junk := func(i int) func() (io.Reader, string) {
		return multipartBody(fmt.Sprintf("junk%d.csv", i), []byte(fmt.Sprintf("这不是模板,%d\n%s\n", i, strings.Repeat("x", 150))), nil)
	}
	post := func(body func() (io.Reader, string)) qiancun.Receipt {
		rec := env.run(t, scenario{method: http.MethodPost, path: "/api/v1/submissions", as: asUploader, want: 200, body: body})
		return decode[qiancun.Receipt](t, rec.Body.Bytes())
	}
	stored := func() int {
		var n int
		if err := env.st.DB().QueryRow("SELECT count(*) FROM submissions WHERE status = 'rejected'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if rc := post(junk(1)); rc.Status != qiancun.Rejected || rc.SubmissionID == 0 {
		t.Fatalf("first junk file: %+v", rc)
	}
	rc := post(junk(2))
	if rc.Status != qiancun.Rejected || rc.SubmissionID != 0 || rc.Issues[len(rc.Issues)-1].Rule != qiancun.NotStored {
		t.Errorf("junk over the quota: %+v", rc)
	}
	if n := stored(); n != 1 {
		t.Errorf("%d rejected submissions stored, want 1", n)
	}
	good := post(multipartBody("帮扶村名册.csv", []byte("村代码,区县,镇街,村名\n370112001001,历城区,港沟街道,东村\n"), nil))
	if good.Status != qiancun.Accepted || good.SubmissionID == 0 {
		t.Errorf("a good file over the quota: %+v", good)
	}
}

// smallDisk mounts a tmpfs of size bytes on a new directory (the test runs as root in CI),
// and unmounts it at the end. Where mounting is not allowed, the test is skipped, and fails
// under QIANCUN_REQUIRE_TOOLS=1.
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput(); err != nil {
		msg := fmt.Sprintf("cannot mount a small tmpfs to fill (run as root): %v %s", err, out)
		if testtool.Required() {
			t.Fatal(msg + " (QIANCUN_REQUIRE_TOOLS=1)")
		}
		t.Skip(msg)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes a file into dir until the disk is full, and returns a function that removes it.
func fill(t *testing.T, dir string) func() {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	for i := 0; i < 1<<16; i++ { // bounded: 4 GiB at most
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	f.Close()
	return func() { os.Remove(p) }
}

// TestDiskFull: a commit that fails on a full disk is a 500, and writes work again once space
// is back. A checkpoint that fails on a full disk makes DuckDB fail fatally; the server says so (OnFatal, so that serve exits and its supervisor restarts it), readyz answers
// 503 and keeps to it after the space is back, and the database opened again has every
// submission committed before the failure.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	dir := smallDisk(t, 24<<20)
	db := filepath.Join(dir, "q.db")
	fatal := make(chan error, 4)
	env := newEnv(t, envOptions{db: db, config: api.Config{OnFatal: func(err error) { fatal <- err }}})
	registry := "村代码,区县,镇街,村名\n370112001001,历城区,港沟街道,东村\n"
	env.run(t, scenario{method: http.MethodPost, path: "/api/v1/submissions", as: asAdmin, want: 200,
		body: multipartBody("帮扶村名册.csv", []byte(registry), nil)})
	env.get(t, "/readyz", asNone, 200)

	var rows []string
	for i := range 2000 {
		rows = append(rows, fmt.Sprintf("3701120010%02d,历城区,港沟街道,村%d", i%100, i))
	}
	big := "村代码,区县,镇街,村名\n" + strings.Join(rows, "\n")

	// A write that fails for want of space is not fatal: once space is back, writes work.
	free := fill(t, dir)
	env.run(t, scenario{method: http.MethodPost, path: "/api/v1/submissions", as: asAdmin, want: 500,
		body: multipartBody("帮扶村名册1.csv", []byte(big), nil)})
	if len(fatal) > 0 {
		t.Fatalf("a failed commit on a full disk was taken as fatal: %v", <-fatal)
	}
	env.get(t, "/readyz", asNone, 200)
	free()
	registry2 := registry + "370124002001,平阴县,东阿镇,南村\n"
	env.run(t, scenario{method: http.MethodPost, path: "/api/v1/submissions", as: asAdmin, want: 200,
		body: multipartBody("帮扶村名册2.csv", []byte(registry2), nil)})

	// Every commit now checkpoints, and the checkpoint cannot be written.
	if _, err := env.st.DB().Exec("SET checkpoint_threshold = '1KB'"); err != nil {
		t.Fatal(err)
	}
	free = fill(t, dir)
	for i := 0; i < 5 && len(fatal) == 0; i++ {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/submissions", nil)
		b, ctype := multipartBody(fmt.Sprintf("帮扶村名册%d.csv", i), []byte(big), nil)()
		req.Body = io.NopCloser(b)
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Authorization", "Bearer tok-"+asAdmin)
		env.srv.Handler().ServeHTTP(httptest.NewRecorder(), req)
	}
	select {
	case err := <-fatal:
		if !store.IsFatal(err) {
			t.Errorf("OnFatal(%v): not the fatal error", err)
		}
	default:
		t.Fatal("the disk filled and OnFatal was never called")
	}
	env.get(t, "/readyz", asNone, 503)
	free()
	env.get(t, "/readyz", asNone, 503) // the truth: this process's database stays unusable

	// The supervisor's restart: the file opens again with what was committed.
	env.st.Close()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatalf("reopen after the space is back: %v", err)
	}
	defer st.Close()
	var n int
	if err := st.DB().QueryRow("SELECT count(*) FROM submissions WHERE status = 'accepted'").Scan(&n); err != nil || n < 1 {
		t.Errorf("accepted submissions after the restart: %d (%v), want the registry", n, err)
	}
}
