package main

import (
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/qiancun/qiancun/api"
)

// serverConfig is the configuration file of `qiancun serve --config FILE` (TOML). A flag
// given on the command line wins over the file. Relative paths are relative to the file.
//
//	addr = "127.0.0.1:8080"
//	db = "qiancun.db"
//	max_upload_mb = 50
//	rejected_quota_mb = 1024    # rejected files kept per uploader; past it they are checked, not kept; -1: no quota
//	log_level = "info"          # debug, info, warn or error
//	dev = false                 # gin debug mode and text logs
//	rules = ""                  # appraisal rules file; empty: the built-in rules
//	packs = ""                  # directory of query packs overriding the built-in ones
//	templates = ""              # directory of templates overriding the built-in ones
//	member_id_key = "<64 hex>"  # keys the opaque member ids; random on each start when empty
//	progress_ttl = "15s"        # how long the progress metrics are cached between scrapes
//	session_key = "<64 hex>"    # signs the pages' sessions (HMAC); the same on every replica
//	session_idle = "30m"        # a page session unused this long ends
//	session_max_age = "12h"     # a page session ends this long after sign-in
//	secure_cookies = false      # Secure cookies even on plain HTTP (a TLS proxy in front)
//	bundles = "bundles"         # every new publication's bundle is written under it; empty: none
//	snapshots = "snapshots"     # snapshots directory: the primary writes, a replica reads
//	keep_snapshots = 5          # snapshots the primary keeps
//	replica = false             # serve as a read replica of the snapshots (no db then)
//	primary_url = "http://127.0.0.1:8080"   # a replica names it in its answer to a write
//
//	[[token]]                   # one per token, made by `qiancun token`
//	name = "市委组织部"
//	role = "uploader"           # admin, uploader, evaluator, leader or monitor
//	templates = ["first_secretary", "villages"]   # uploader only
//	district = "370112"         # leader only, optional
//	hash = "sha256:<64 hex>"    # the token itself is never stored
type serverConfig struct {
	Addr          string        `toml:"addr"`
	DB            string        `toml:"db"`
	MaxUploadMB   int64         `toml:"max_upload_mb"`
	RejectedMB    int64         `toml:"rejected_quota_mb"`
	LogLevel      string        `toml:"log_level"`
	Dev           bool          `toml:"dev"`
	Rules         string        `toml:"rules"`
	Packs         string        `toml:"packs"`
	Templates     string        `toml:"templates"`
	MemberIDKey   string        `toml:"member_id_key"`
	ProgressTTL   string        `toml:"progress_ttl"`
	SessionKey    string        `toml:"session_key"`
	SessionIdle   string        `toml:"session_idle"`
	SessionMax    string        `toml:"session_max_age"`
	Secure        bool          `toml:"secure_cookies"`
	Bundles       string        `toml:"bundles"`
	Snapshots     string        `toml:"snapshots"`
	KeepSnapshots int           `toml:"keep_snapshots"`
	Replica       bool          `toml:"replica"`
	PrimaryURL    string        `toml:"primary_url"`
	Tokens        []tokenConfig `toml:"token"`
}

// tokenConfig is one [[token]] of the configuration file.
type tokenConfig struct {
	Name      string   `toml:"name"`
	Role      string   `toml:"role"`
	Templates []string `toml:"templates,omitempty"`
	District  string   `toml:"district,omitempty"`
	Hash      string   `toml:"hash"`
}

// loadConfig reads the configuration file at path; unknown settings are refused, so that a
// misspelt one does not pass silently.
func loadConfig(path string) (*serverConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var c serverConfig
	md, err := toml.Decode(string(b), &c)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("config %s: unknown setting %q", path, und[0].String())
	}
	dir := filepath.Dir(path)
	for _, p := range []*string{&c.DB, &c.Rules, &c.Packs, &c.Templates, &c.Bundles, &c.Snapshots} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	return &c, nil
}

// tokens turns the [[token]] tables into the API's tokens; the API checks roles and scopes.
func (c *serverConfig) tokens() ([]api.Token, error) {
	out := make([]api.Token, 0, len(c.Tokens))
	for i, t := range c.Tokens {
		h, err := api.ParseHash(t.Hash)
		if err != nil {
			return nil, fmt.Errorf("token %d (%q): %w", i+1, t.Name, err)
		}
		out = append(out, api.Token{Name: t.Name, Role: api.Role(t.Role), Templates: t.Templates, District: t.District, Hash: h})
	}
	return out, nil
}

// memberIDKey decodes member_id_key.
func (c *serverConfig) memberIDKey() ([]byte, error) {
	if c.MemberIDKey == "" {
		return nil, nil
	}
	k, err := hex.DecodeString(c.MemberIDKey)
	if err != nil || len(k) < 16 {
		return nil, fmt.Errorf("config: member_id_key must be at least 32 hex digits")
	}
	return k, nil
}

// progressTTL decodes progress_ttl; 0 means the default.
func (c *serverConfig) progressTTL() (time.Duration, error) {
	if c.ProgressTTL == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(c.ProgressTTL)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("config: progress_ttl %q: want a duration such as 15s", c.ProgressTTL)
	}
	return d, nil
}

// parseLevel reads a log level name.
func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if s == "" {
		return slog.LevelInfo, nil
	}
	if err := l.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return 0, fmt.Errorf("log level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// sessionKey decodes session_key: nil when it is not set.
func (c *serverConfig) sessionKey() ([]byte, error) {
	if c.SessionKey == "" {
		return nil, nil
	}
	k, err := hex.DecodeString(c.SessionKey)
	if err != nil || len(k) < 32 {
		return nil, fmt.Errorf("config: session_key must be at least 64 hex digits")
	}
	return k, nil
}

// sessionDurations decodes session_idle and session_max_age; 0 means the default.
func (c *serverConfig) sessionDurations() (idle, maxAge time.Duration, err error) {
	for _, x := range []struct {
		name, v string
		dst     *time.Duration
	}{{"session_idle", c.SessionIdle, &idle}, {"session_max_age", c.SessionMax, &maxAge}} {
		if x.v == "" {
			continue
		}
		d, err := time.ParseDuration(x.v)
		if err != nil || d <= 0 {
			return 0, 0, fmt.Errorf("config: %s %q: want a duration such as 30m", x.name, x.v)
		}
		*x.dst = d
	}
	return idle, maxAge, nil
}
