package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qiancun/qiancun/api"
)

// TestTokenCommand makes a token with `qiancun token`, pastes its block into a config file
// and checks that the config holds the token's hash and scope.
func TestTokenCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want api.Token // without the hash
	}{
		{"uploader", []string{"--role", "uploader", "--templates", "first_secretary,villages", "--name", "市委组织部"},
			api.Token{Name: "市委组织部", Role: api.RoleUploader, Templates: []string{"first_secretary", "villages"}}},
		{"district leader", []string{"--role", "leader", "--district", "370112"},
			api.Token{Name: "leader:370112", Role: api.RoleLeader, District: "370112"}},
		{"monitor", []string{"--role", "monitor"}, api.Token{Name: "monitor", Role: api.RoleMonitor}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errb bytes.Buffer
			if code := run(context.Background(), append([]string{"token"}, tt.args...), func(string) string { return "" }, nil, &out, &errb); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			first, rest, _ := strings.Cut(out.String(), "\n")
			tok, ok := strings.CutPrefix(first, "token ")
			if !ok || !strings.HasPrefix(tok, "qc_") || len(tok) < 40 {
				t.Fatalf("first line %q: want token qc_...", first)
			}
			if strings.Contains(rest, tok) {
				t.Error("the config block holds the token itself")
			}
			path := filepath.Join(t.TempDir(), "qiancun.toml")
			if err := os.WriteFile(path, []byte(rest), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := loadConfig(path)
			if err != nil {
				t.Fatal(err)
			}
			toks, err := cfg.tokens()
			if err != nil || len(toks) != 1 {
				t.Fatalf("tokens %v: %v", toks, err)
			}
			want := tt.want
			want.Hash = sha256.Sum256([]byte(tok))
			if diff := cmp.Diff(want, toks[0]); diff != "" {
				t.Errorf("token (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTokenAndConfigRefused(t *testing.T) {
	t.Parallel()
	tokens := []struct {
		name string
		args []string
		want string
	}{
		{"no role", nil, "--role is required"},
		{"unknown role", []string{"--role", "king"}, "unknown role"},
		{"an uploader without templates", []string{"--role", "uploader"}, "needs the templates"},
		{"an unknown template", []string{"--role", "uploader", "--templates", "nope"}, `unknown template "nope"`},
		{"a leader of nowhere", []string{"--role", "leader", "--district", "110101"}, "not one of Jinan's district codes"},
		{"a district for an evaluator", []string{"--role", "evaluator", "--district", "370112"}, "only a leader"},
	}
	for _, tt := range tokens {
		t.Run("token: "+tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), append([]string{"token"}, tt.args...), func(string) string { return "" }, nil, &out, &errb)
			if code != exitUsage || !strings.Contains(errb.String(), tt.want) || out.Len() != 0 {
				t.Errorf("exit %d, stderr %q, stdout %q: want a usage error saying %q and no token", code, errb.String(), out.String(), tt.want)
			}
		})
	}
	configs := []struct{ name, file, want string }{
		{"unknown setting", "adress = \"x\"\n", `unknown setting "adress"`},
		{"bad hash", "[[token]]\nname = \"a\"\nrole = \"admin\"\nhash = \"md5:00\"\n", "want sha256:"},
		{"bad progress ttl", "progress_ttl = \"soon\"\n", "progress_ttl"},
	}
	for _, tt := range configs {
		t.Run("config: "+tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.toml")
			os.WriteFile(path, []byte(tt.file), 0o600)
			var out, errb bytes.Buffer
			code := run(context.Background(), []string{"serve", "--config", path}, func(string) string { return "" }, nil, &out, &errb)
			if code != exitUsage || !strings.Contains(errb.String(), tt.want) {
				t.Errorf("exit %d, stderr %q: want a usage error saying %q", code, errb.String(), tt.want)
			}
		})
	}
}
