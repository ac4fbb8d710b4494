package api_test

import (
	"os/exec"
	"regexp"
	"testing"

	"github.com/qiancun/qiancun/internal/testtool"
)

// problemLine is a warning or an error in redocly's stylish output: "  12:5  warning  rule  …".
var problemLine = regexp.MustCompile(`(?m)^\s*\d+:\d+\s+(warning|error)\s+.*$`)

// TestOpenAPILint runs Redocly's linter (npm @redocly/cli, with the repository's
// redocly.yaml) over the OpenAPI document: no error and no warning, so that every
// operation has an operationId and every tag a description, and generated clients get
// proper names.
func TestOpenAPILint(t *testing.T) {
	t.Parallel()
	redocly, err := exec.LookPath("redocly")
	if err != nil {
		if testtool.Required() {
			t.Fatalf("redocly not found, and QIANCUN_REQUIRE_TOOLS=1: install it (npm i -g @redocly/cli@2)")
		}
		t.Skip("redocly not found: install it (npm i -g @redocly/cli@2) to run this test; with QIANCUN_REQUIRE_TOOLS=1 this is a failure")
	}
	cmd := exec.Command(redocly, "lint", "--format", "stylish", "api/openapi.json")
	cmd.Dir = ".." // where redocly.yaml is
	cmd.Env = append(cmd.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true")
	out, err := cmd.CombinedOutput()
	if ps := problemLine.FindAll(out, -1); err != nil || len(ps) > 0 {
		t.Errorf("redocly lint api/openapi.json: %v, %d problems:\n%s", err, len(ps), out)
	}
}
