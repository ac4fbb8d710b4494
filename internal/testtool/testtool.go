// Package testtool finds the outside programs that some tests drive (LibreOffice, promtool,
// chromium, nginx). A test that needs one calls Need: where the program is missing the test
// is skipped on a developer's machine, but fails when QIANCUN_REQUIRE_TOOLS=1, as .ci/run
// sets, so that CI cannot be green because a tool was never installed.
package testtool

import (
	"os"
	"os/exec"
)

// T is the part of testing.TB that Need uses.
type T interface {
	Helper()
	Skipf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// Required reports whether missing tools fail tests (QIANCUN_REQUIRE_TOOLS=1) rather than
// skip them.
func Required() bool { return os.Getenv("QIANCUN_REQUIRE_TOOLS") == "1" }

// Need returns the path of the first of names found on PATH (or, for an absolute name, that
// exists). When none is found it fails the test under QIANCUN_REQUIRE_TOOLS=1 and skips it
// otherwise; pkg names the Debian package that provides it, for the message.
func Need(t T, pkg string, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if Required() {
		t.Fatalf("%v not found, and QIANCUN_REQUIRE_TOOLS=1: install it (apt-get install -y %s)", names, pkg)
	}
	t.Skipf("%v not found: install it (apt-get install -y %s) to run this test; with QIANCUN_REQUIRE_TOOLS=1 this is a failure", names, pkg)
	return ""
}

// Short skips a test in -short mode, except under QIANCUN_REQUIRE_TOOLS=1, where every test
// runs whatever flags were given.
func Short(t interface {
	Helper()
	Skip(args ...any)
}, short bool, why string) {
	t.Helper()
	if short && !Required() {
		t.Skip(why + " (skipped in -short mode)")
	}
}
