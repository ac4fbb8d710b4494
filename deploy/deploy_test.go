package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qiancun/qiancun/deploy"
	"github.com/qiancun/qiancun/internal/testtool"
)

// TestAlertRules checks the alert rules and runs their unit tests with promtool, and
// checks the scrape configuration that loads them.
func TestAlertRules(t *testing.T) {
	t.Parallel()
	promtool := testtool.Need(t, "prometheus", "promtool")
	for _, args := range [][]string{
		{"check", "rules", "alerts.yml"},
		{"test", "rules", "alerts_test.yml", "alerts_calendar_test.yml"},
		{"check", "config", "--syntax-only", "prometheus.yml"},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = "prometheus"
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestAlertsHaveTests: every alert of alerts.yml is named by a unit test.
func TestAlertsHaveTests(t *testing.T) {
	t.Parallel()
	rules, err := os.ReadFile("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var tests strings.Builder
	for _, f := range []string{"prometheus/alerts_test.yml", "prometheus/alerts_calendar_test.yml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tests.Write(b)
	}
	n := 0
	for _, line := range strings.Split(string(rules), "\n") {
		name, ok := strings.CutPrefix(strings.TrimSpace(line), "- alert: ")
		if !ok {
			continue
		}
		n++
		if !strings.Contains(tests.String(), "alertname: "+name+"\n") {
			t.Errorf("alert %s has no unit test", name)
		}
	}
	if n < 5 {
		t.Errorf("%d alerts found, want at least 5", n)
	}
}

// TestNginxConfig checks deploy/nginx/qiancun.conf with nginx -t, inside a minimal main
// configuration whose paths are all in a temporary directory.
func TestNginxConfig(t *testing.T) {
	t.Parallel()
	nginx := testtool.Need(t, "nginx-light", "nginx")
	dir := t.TempDir()
	site, err := filepath.Abs("nginx/qiancun.conf")
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(deploy.MainConfig(dir, site)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(nginx, "-t", "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", conf).CombinedOutput()
	if err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
}
