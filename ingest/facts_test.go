package ingest_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
)

// storedAttrs returns the attrs JSON of the current rows of template, by member key, as the
// database holds it.
func (e *env) storedAttrs(t *testing.T, template string) map[string]string {
	t.Helper()
	rows, err := e.st.DB().Query(`SELECT member_key, CAST(attrs AS VARCHAR) FROM current_rows WHERE template = ?`, template)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, a string
		if err := rows.Scan(&k, &a); err != nil {
			t.Fatal(err)
		}
		out[k] = a
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func marshal(t *testing.T, m map[string]string) string {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestStoredAttrs checks that a fact's other columns reach the database as the JSON that
// encoding/json makes of them as a map, byte for byte, text that needs escaping included,
// and that the store's readers find them.
func TestStoredAttrs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// The registry: 区县, 镇街 and, when given, 管理主体, in key order.
	want := map[string]string{
		v1: marshal(t, map[string]string{"区县": "历城区", "镇街": "港沟街道"}),
		v2: marshal(t, map[string]string{"区县": "历城区", "镇街": "港沟街道", "管理主体": "高新区"}),
		v3: marshal(t, map[string]string{"区县": "平阴县", "镇街": "东阿镇"}),
	}
	if diff := cmp.Diff(want, e.storedAttrs(t, "villages")); diff != "" {
		t.Errorf("registry attrs (-want +got):\n%s", diff)
	}
	units := []string{`市委"组织部"\一处`, "A&B <局>", "第一\u2028第二\u2029", "制表\t符"}
	ids := []string{id1, id2, id3, qiancun.MakeID("37011219700707007")}
	rows := [][]any{{"第一书记工作情况统计表（2024年5月）"}, fsHeader}
	for i, u := range units {
		rows = append(rows, []any{"张三", ids[i], u, v1, 22, 30, 12.5, 2, 3, 5, 1})
	}
	rc := e.ingest(t, "fs.xlsx", workbook(t, sheet{name: "S", rows: rows}), ingest.Options{})
	if rc.Status != qiancun.Accepted || rc.Accepted != len(units) {
		t.Fatalf("receipt = %+v", rc)
	}
	want = map[string]string{}
	for i, u := range units {
		want[ids[i]] = marshal(t, map[string]string{"派出单位": u})
	}
	if diff := cmp.Diff(want, e.storedAttrs(t, "first_secretary")); diff != "" {
		t.Errorf("attrs (-want +got):\n%s", diff)
	}
	for i, u := range units {
		var got string
		if err := e.st.DB().QueryRow(`SELECT attrs ->> '派出单位' FROM current_rows WHERE member_key = ?`, ids[i]).Scan(&got); err != nil || got != u {
			t.Errorf("attrs ->> '派出单位' = %q, %v; want %q", got, err, u)
		}
	}
}

// TestDuplicateKeys checks duplicate_key and the row it names for each kind of key: a
// 身份证号 (packed, a lower-case x the same as X), a 村代码 (packed) and a 统一社会信用代码 (kept as
// text).
func TestDuplicateKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// A 身份证号 whose check character is X.
	var idX string
	for n := 1; !strings.HasSuffix(idX, "X"); n++ {
		idX = qiancun.MakeID(fmt.Sprintf("370112198001%05d", n))
	}
	fs := [][]any{{"第一书记工作情况统计表（2024年5月）"}, fsHeader}
	for _, id := range []string{idX, id1, strings.ToLower(idX), id2, id1, idX} {
		fs = append(fs, []any{"张三", id, "市委组织部", v1, 22, 30, 12.5, 2, 3, 5, 1})
	}
	uscc1, uscc2 := qiancun.MakeUSCC("91370100MA3C12345"), qiancun.MakeUSCC("91370100MA3C12346")
	ent := [][]any{
		{"村企联建情况表（2024年5月）"},
		{"企业名称", "统一社会信用代码", "联建方式", "合作模式", "联建村代码", "投入资金", "实施项目数", "带动就业人数", "采购销售农产品金额", "村集体增收"},
		{"甲公司", uscc1, "一对一", "股份合作", v1, 1, 1, 1, 1, 1},
		{"乙公司", uscc2, "一对一", "股份合作", v1, 1, 1, 1, 1, 1},
		{"甲公司", uscc1, "一对一", "股份合作", v1, 1, 1, 1, 1, 1},
	}
	reg := registryRows()
	reg = append(reg, reg[2])
	tests := []struct {
		name string
		rows [][]any
		want []string // cell: message
	}{
		{"身份证号", fs, []string{"B5: 与第3行重复", "B7: 与第4行重复", "B8: 与第3行重复"}},
		{"统一社会信用代码", ent, []string{"B5: 与第3行重复"}},
		{"村代码", reg, []string{"A5: 与第3行重复"}},
	}
	for _, tt := range tests {
		rc := e.ingest(t, "f.xlsx", workbook(t, sheet{name: "S", rows: tt.rows}), ingest.Options{DryRun: true})
		var got []string
		for _, is := range rc.Issues {
			if is.Rule == qiancun.DuplicateKey {
				_, first, _ := strings.Cut(is.Message, "：与第")
				got = append(got, is.Cell+": 与第"+first)
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: duplicate_key (-want +got):\n%s\nall issues: %+v", tt.name, diff, rc.Issues)
		}
	}
}
