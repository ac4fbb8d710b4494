package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/qiancun/qiancun"
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
