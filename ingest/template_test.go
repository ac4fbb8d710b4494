package ingest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
)

// TestTemplatesDirOverrides checks that a --templates directory replaces a built-in
// template (here law, with a new alias) and adds a new one, without a rebuild.
func TestTemplatesDirOverrides(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	law := `
[[template]]
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
  header = "入村服务次数"
  aliases = ["进村服务"]
  type = "integer"
  min = 0
  required = true

[[template]]
slug = "training"
title = "培训台账"
kind = "ledger"
  [[template.column]]
  header = "培训编号"
  type = "text"
  required = true
  role = "key"
  [[template.column]]
  header = "参训人数"
  type = "integer"
  required = true
`
	if err := os.WriteFile(filepath.Join(dir, "local.toml"), []byte(law), 0o644); err != nil {
		t.Fatal(err)
	}
	ts, err := ingest.LoadTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(ts.Get("law").Columns); got != 3 {
		t.Errorf("law has %d columns, want the override's 3", got)
	}
	if ts.Get("training") == nil || ts.Get("first_secretary") == nil {
		t.Fatal("the new template is missing, or a built-in one was lost")
	}
	e := newEnv(t)
	in := ingest.New(ts, e.st, ingest.DefaultLimits())
	csv := fmt.Sprintf("法治专员（2024年5月）\n姓名,身份证号,进村服务\n王,%s,7\n", id1)
	rc, err := in.Ingest(context.Background(), "law.csv", []byte(csv), ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rc.Status != qiancun.Accepted || rc.Template != "law" {
		t.Errorf("a file using the new alias: %s %s %v", rc.Status, rc.Template, rc.Issues)
	}
	rc, err = in.Ingest(context.Background(), "培训.csv", []byte("培训编号,参训人数\nPX-1,30\n"), ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rc.Status != qiancun.Accepted || rc.Template != "training" {
		t.Errorf("a file of the new template: %s %s %v", rc.Status, rc.Template, rc.Issues)
	}
}

func TestTemplatesDirRefused(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"unknown type": `[[template]]
slug = "x"
kind = "ledger"
  [[template.column]]
  header = "a"
  type = "colour"
  role = "key"`,
		"monthly without a known force": `[[template]]
slug = "x"
kind = "monthly"
force = "police"
  [[template.column]]
  header = "a"
  type = "text"
  role = "key"`,
		"no key": `[[template]]
slug = "x"
kind = "ledger"
  [[template.column]]
  header = "a"
  type = "text"`,
		"not toml": `[[template]`,
		"an unknown key (a misspelt setting)": `[[template]]
slug = "x"
kind = "ledger"
  [[template.column]]
  header = "a"
  type = "text"
  role = "key"
  requird = true`,
		"a second registry": `[[template]]
slug = "villages2"
kind = "registry"
  [[template.column]]
  header = "行政区划代码"
  type = "code"
  role = "key"`,
		"a registry keyed by text": `[[template]]
slug = "villages"
kind = "registry"
  [[template.column]]
  header = "村名"
  type = "text"
  role = "key"`,
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "bad.toml"), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ingest.LoadTemplates(dir)
			if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "bad.toml")) {
				t.Errorf("err = %v, want one naming bad.toml", err)
			}
			if strings.HasPrefix(name, "an unknown key") && !strings.Contains(err.Error(), `unknown setting "template.column.requird"`) {
				t.Errorf("err = %v, want one naming the setting", err)
			}
		})
	}
	if _, err := ingest.LoadTemplates(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing templates directory was accepted")
	}
}
