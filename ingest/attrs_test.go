package ingest

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// oddStrings are strings that exercise JSON escaping and the cell helpers: every ASCII
// byte, invalid UTF-8, U+FFFD, U+2028 and U+2029, the spaces and invisible characters a
// cell may carry, full-width text, and random mixes of them.
func oddStrings(r *rand.Rand, n int) []string {
	out := []string{"", "市委组织部", `"\`, "<a href=x>&amp;</a>", "\u2028\u2029", "\xff", "a\xe6\x9c", "\ufffd",
		"\ufeff12\u200b", " 12 ", "\u3000１２\u3000", "\u00a012.5\u00a0", "1,234", "12万", "3,000元", "¥200",
		"370112001001、370112001002", "370112001001,,370112001002", "、", " / ", "a/b；c;d，e\tf\ng\u3000h"}
	for b := range 128 {
		out = append(out, string(rune(b)), "x"+string(rune(b))+"y")
	}
	pieces := []string{"0", "9", "-", "+", ".", ",", "_", " ", "\t", "\n", "\r", "x", "X", "E", "e", "万", "元", "人",
		"、", "，", "；", "/", "\u3000", "\u00a0", "\ufeff", "\u200b", "\u2028", "１", "．", "\xff", "\xe6\x9c", "\ufffd",
		"<", "&", `"`, `\`, "\x01", "计", "合", "小", "历城区", ":", "：", "\xe4", "\xe8\xae"}
	for range n {
		var sb strings.Builder
		for range r.IntN(8) {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		out = append(out, sb.String())
	}
	return out
}

// TestAppendJSONString checks the escaping against encoding/json's, byte for byte.
func TestAppendJSONString(t *testing.T) {
	t.Parallel()
	for _, s := range oddStrings(rand.New(rand.NewPCG(5, 6)), 20_000) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendJSONString(%q) = %s; want %s", s, got, want)
		}
	}
}

// TestAttrRow checks a row's attrs against encoding/json's map, some columns missing, over
// many rows cut from shared slabs, each left as it was made.
func TestAttrRow(t *testing.T) {
	t.Parallel()
	tmpl := &Template{Columns: []Column{
		{Header: "镇街", Type: Text}, {Header: "身份证号", Type: IDType, Role: RoleKey},
		{Header: "区县", Type: DistType}, {Header: "金额", Type: Money}, {Header: "a\"<b>", Type: Text},
		{Header: "村名", Type: Text, Role: RoleName}, {Header: "村代码", Type: Village, Role: RoleVillages},
		{Header: "管理主体", Type: Text}, {Header: "Zone", Type: Date},
	}}
	a := newAttrRow(tmpl)
	r := rand.New(rand.NewPCG(7, 8))
	vals := oddStrings(r, 1000)
	var slab []byte
	type made struct {
		got  json.RawMessage
		want string
	}
	var all []made
	for range 20_000 {
		a.reset()
		m := map[string]string{}
		for i, c := range tmpl.Columns {
			if a.at[i] < 0 || r.IntN(3) == 0 {
				continue
			}
			v := vals[r.IntN(len(vals))]
			if !utf8.ValidString(v) {
				v = strings.ToValidUTF8(v, "?") // a row with invalid text is rejected before
			}
			a.set(i, v)
			m[c.Header] = v
		}
		got := a.json(&slab)
		want := ""
		if len(m) > 0 {
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			want = string(b)
		}
		if string(got) != want || (got == nil) != (len(m) == 0) {
			t.Fatalf("attrs %v = %q; want %q", m, got, want)
		}
		all = append(all, made{got, want})
	}
	for _, x := range all {
		if string(x.got) != x.want {
			t.Fatalf("a slab was written over: %q, want %q", x.got, x.want)
		}
	}
	for i, c := range tmpl.Columns {
		if want := !c.Numeric() && c.Role == ""; (a.at[i] >= 0) != want {
			t.Errorf("column %s among the attrs: %v, want %v", c.Header, a.at[i] >= 0, want)
		}
	}
}
