package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/qiancun/qiancun/api"
	"github.com/qiancun/qiancun/auth"
	"github.com/qiancun/qiancun/ingest"
)

func runToken(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "token", "--role ROLE [--templates a,b] [--district CODE] [--name NAME] [--login-url URL --config FILE]\n       qiancun token --login-url URL --config FILE --for NAME",
		`Makes a new bearer token for the HTTP API. It prints the token once (give it to its holder:
it is kept nowhere) and the [[token]] table to paste into the server's config file, which
holds only the token's SHA-256.

Roles: admin (everything, unmasked keys); uploader (submits and reads the history of its
department's --templates); evaluator (reads everything, masked); leader (rankings,
scorecards, villages and progress, of one --district when given); monitor (/metrics only).

With --login-url (the service's address, e.g. http://10.0.0.5:8080) and --config (for its
session_key), it also prints a one-time sign-in link to hand to the holder: it signs in as
the token once, within --link-ttl, without the token being typed. With --for NAME it
prints only a link, for a token the config file already declares.`)
	loginURL := fs.String("login-url", "", "print a one-time sign-in link on this service address (needs --config with session_key)")
	config := fs.String("config", "", "the server's configuration file, for its session_key and (with --for) its tokens")
	forName := fs.String("for", "", "with --login-url: make a link for the configured token of this name, and no new token")
	linkTTL := fs.Duration("link-ttl", 72*time.Hour, "how long the sign-in link works")
	role := fs.String("role", "", "admin, uploader, evaluator, leader or monitor")
	templates := fs.String("templates", "", "uploader: comma-separated template slugs of its department, e.g. first_secretary,villages")
	district := fs.String("district", "", "leader: limit it to this district code, e.g. 370112")
	name := fs.String("name", "", "who holds the token, for the logs (default: the role)")
	templatesDir := fs.String("templates-dir", "", "directory of templates that override or add to the built-in ones")
	if _, err := parseArgs(fs, args); err != nil {
		return usageCode(err)
	}
	var link func(hash [32]byte) (string, error)
	if *loginURL != "" {
		if *config == "" {
			return fail(e, exitUsage, "token: --login-url needs --config (the server's session_key signs the link)")
		}
		cfg, err := loadConfig(*config)
		if err != nil {
			return fail(e, exitUsage, "%v", err)
		}
		key, err := cfg.sessionKey()
		if err != nil {
			return fail(e, exitUsage, "%v", err)
		}
		if key == nil {
			return fail(e, exitUsage, "token: %s has no session_key; add one (64 hex digits, e.g. from 'openssl rand -hex 32') so that links and sessions survive a restart", *config)
		}
		sessions, err := auth.NewSessions(auth.SessionOptions{Key: key})
		if err != nil {
			return fail(e, exitUsage, "%v", err)
		}
		base := strings.TrimRight(*loginURL, "/")
		link = func(hash [32]byte) (string, error) {
			tk, err := sessions.NewTicket(hash, *linkTTL)
			if err != nil {
				return "", err
			}
			return base + "/login?ticket=" + url.QueryEscape(tk), nil
		}
		if *forName != "" {
			toks, err := cfg.tokens()
			if err != nil {
				return fail(e, exitUsage, "%v", err)
			}
			for _, t := range toks {
				if t.Name == *forName {
					l, err := link(t.Hash)
					if err != nil {
						return fail(e, exitRejected, "%v", err)
					}
					fmt.Fprintf(e.stdout, "login %s\n", l)
					return exitOK
				}
			}
			return fail(e, exitUsage, "token: %s declares no token named %q", *config, *forName)
		}
	} else if *forName != "" {
		return fail(e, exitUsage, "token: --for needs --login-url")
	}
	if *role == "" {
		return fail(e, exitUsage, "token: --role is required")
	}
	ts, err := ingest.LoadTemplates(*templatesDir)
	if err != nil {
		return fail(e, exitUsage, "%v", err)
	}
	tok, hash, err := api.NewToken()
	if err != nil {
		return fail(e, exitRejected, "%v", err)
	}
	t := api.Token{Name: *name, Role: api.Role(*role), District: *district, Hash: hash}
	for _, s := range strings.Split(*templates, ",") {
		if s = strings.TrimSpace(s); s != "" {
			t.Templates = append(t.Templates, s)
		}
	}
	if t.Name == "" {
		t.Name = *role
		if t.District != "" {
			t.Name += ":" + t.District
		}
	}
	if err := t.Check(func(s string) bool { return ts.Get(s) != nil }); err != nil {
		return fail(e, exitUsage, "token: %v", err)
	}
	fmt.Fprintf(e.stdout, "token %s\n", tok)
	if link != nil {
		l, err := link(hash)
		if err != nil {
			return fail(e, exitRejected, "%v", err)
		}
		fmt.Fprintf(e.stdout, "login %s\n", l)
		fmt.Fprintln(e.stdout, "# The link works once the block below is in the server's config and the server has restarted.")
	}
	fmt.Fprintln(e.stdout)
	fmt.Fprintln(e.stdout, "# Paste into the server's config file. The token above is shown once and kept nowhere.")
	block := struct {
		Token []tokenConfig `toml:"token"`
	}{[]tokenConfig{{Name: t.Name, Role: string(t.Role), Templates: t.Templates, District: t.District, Hash: api.FormatHash(hash)}}}
	if err := toml.NewEncoder(e.stdout).Encode(block); err != nil {
		return fail(e, exitRejected, "%v", err)
	}
	return exitOK
}
