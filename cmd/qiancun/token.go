package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/qiancun/qiancun/api"
	"github.com/qiancun/qiancun/ingest"
)

func runToken(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "token", "--role ROLE [--templates a,b] [--district CODE] [--name NAME]",
		`Makes a new bearer token for the HTTP API. It prints the token once (give it to its holder:
it is kept nowhere) and the [[token]] table to paste into the server's config file, which
holds only the token's SHA-256.

Roles: admin (everything, unmasked keys); uploader (submits and reads the history of its
department's --templates); evaluator (reads everything, masked); leader (rankings,
scorecards, villages and progress, of one --district when given); monitor (/metrics only).`)
	role := fs.String("role", "", "admin, uploader, evaluator, leader or monitor")
	templates := fs.String("templates", "", "uploader: comma-separated template slugs of its department, e.g. first_secretary,villages")
	district := fs.String("district", "", "leader: limit it to this district code, e.g. 370112")
	name := fs.String("name", "", "who holds the token, for the logs (default: the role)")
	templatesDir := fs.String("templates-dir", "", "directory of templates that override or add to the built-in ones")
	if _, err := parseArgs(fs, args); err != nil {
		return usageCode(err)
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
	fmt.Fprintf(e.stdout, "token %s\n\n", tok)
	fmt.Fprintln(e.stdout, "# Paste into the server's config file. The token above is shown once and kept nowhere.")
	block := struct {
		Token []tokenConfig `toml:"token"`
	}{[]tokenConfig{{Name: t.Name, Role: string(t.Role), Templates: t.Templates, District: t.District, Hash: api.FormatHash(hash)}}}
	if err := toml.NewEncoder(e.stdout).Encode(block); err != nil {
		return fail(e, exitRejected, "%v", err)
	}
	return exitOK
}
