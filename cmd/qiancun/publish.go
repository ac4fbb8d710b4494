package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/publish"
	"github.com/qiancun/qiancun/store"
)

// pubFlags are the flags of every publication command: the engine's, and who acts.
type pubFlags struct {
	engineFlags
	by      *string
	bundles *string
}

func addPubFlags(fs *flag.FlagSet, e *env, bundles bool) pubFlags {
	who := e.getenv("USER")
	if who == "" {
		who = "admin"
	}
	f := pubFlags{engineFlags: addEngineFlags(fs), by: fs.String("by", who, "who acts (recorded in the publication's log)")}
	if bundles {
		f.bundles = fs.String("bundles", "", "also write the publication's bundle (Parquet + manifest.json) under this directory")
	} else {
		f.bundles = new(string)
	}
	return f
}

// open opens the store, the engine and the publication service on them.
func (f pubFlags) open(ctx context.Context, e *env) (*store.Store, *publish.Service, error) {
	st, eng, err := f.engineFlags.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	svc := publish.New(st, eng, publish.Options{Now: e.now, Program: programVersion(), Bundles: *f.bundles})
	if err := svc.SealLogs(ctx); err != nil { // log rows written before migration 021
		st.Close()
		return nil, nil, err
	}
	return st, svc, nil
}

// programVersion is the module version and VCS revision the binary was built from.
func programVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "qiancun (unknown build)"
	}
	v := "qiancun " + bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			v += " " + s.Value
		}
		if s.Key == "vcs.modified" && s.Value == "true" {
			v += "+dirty"
		}
	}
	return v
}

// pubFail reports a publication command's error: a refusal of the rules or a missing
// publication as the user's (exit 1, the Chinese message as is), a usage error as 2.
func pubFail(e *env, cmd string, err error) int {
	var pe *qiancun.PublicationError
	switch {
	case errors.As(err, &pe):
		return fail(e, exitRejected, "%s: %s", cmd, pe.Message)
	case errors.Is(err, publish.ErrNotFound):
		return fail(e, exitRejected, "%s: %v", cmd, err)
	}
	return fail(e, exitFor(err), "%s: %v", cmd, err)
}

// publishedJSON is what publish, correct and finalize print with --json.
type publishedJSON struct {
	ID           int64                    `json:"id"`
	Force        qiancun.Force            `json:"force"`
	Period       string                   `json:"period"`
	Status       qiancun.PublicationState `json:"status"`
	Kind         qiancun.PublicationKind  `json:"kind"`
	Hash         string                   `json:"hash"`
	PreviousHash string                   `json:"previous_hash"`
	Until        string                   `json:"until"`
	Members      int                      `json:"members"`
	Corrects     int64                    `json:"corrects,omitempty"`
	SupersededBy int64                    `json:"superseded_by,omitempty"`
}

func summaryOf(p *qiancun.Publication) publishedJSON {
	n := p.MemberCount
	if p.Members != nil {
		n = len(p.Members)
	}
	return publishedJSON{ID: p.ID, Force: p.Force, Period: p.Period, Status: p.State, Kind: p.Kind(), Hash: p.Hash,
		PreviousHash: p.PrevHash, Until: p.Until, Members: n, Corrects: p.Corrects, SupersededBy: p.SupersededBy}
}

func printSummary(e *env, p *qiancun.Publication, asJSON bool) int {
	if len(p.Missing) > 0 { // as rank says it: a year published in June is not a year's result
		fmt.Fprintf(e.stderr, "note: publication %d has no accepted %s submission for %s; those months count as missing, not zero\n",
			p.ID, p.Force, strings.Join(p.Missing, ", "))
	}
	if asJSON {
		return writeJSON(e, summaryOf(p))
	}
	fi, _ := qiancun.LookupForce(string(p.Force))
	fmt.Fprintf(e.stdout, "publication %d · %s %s · %s（%s）· %d members\n", p.ID, fi.Name, p.Period, p.State, p.Kind(), summaryOf(p).Members)
	if p.Until != "" {
		fmt.Fprintf(e.stdout, "公示至 %s\n", p.Until)
	}
	fmt.Fprintf(e.stdout, "hash %s\nprevious %s\n", p.Hash, orNone(p.PrevHash))
	return exitOK
}

func orNone(s string) string {
	if s == "" {
		return "(none: the first of its force)"
	}
	return s
}

func runPublish(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "publish", "--db PATH --force SLUG --period P [--until YYYY-MM-DD] [--by NAME] [--note TEXT] [--json]",
		`Freezes the live ranking of a force for an appraisal period as a new publication in 公示
(public notice), open for objections until --until (default: 5 working days, Monday to
Friday, from today). The publication records every member's row, the rules and the query
pack in force, the submissions used, and a SHA-256 chained to the force's previous
publication. Refused while the force and period has a publication in 公示 or a final one.`)
	pf := addPubFlags(fs, e, true)
	force := fs.String("force", "", "the force's slug")
	period := fs.String("period", "", "appraisal period: YYYY-MM, YYYY-Qn or YYYY")
	until := fs.String("until", "", "last day of 公示, YYYY-MM-DD (default: 5 working days from today)")
	note := fs.String("note", "", "a note kept with the publication")
	asJSON := fs.Bool("json", false, "print {id, force, period, status, hash, previous_hash, until, members}")
	if _, err := parseArgs(fs, args); err != nil {
		return usageCode(err)
	}
	if *force == "" || *period == "" {
		return fail(e, exitUsage, "publish: --force and --period are required (see --help)")
	}
	st, svc, err := pf.open(ctx, e)
	if err != nil {
		return fail(e, exitFor(err), "publish: %v", err)
	}
	defer st.Close()
	p, err := svc.Publish(ctx, publish.Request{Force: qiancun.Force(*force), Period: *period, Until: *until, By: *pf.by, Note: *note})
	if p == nil {
		return pubFail(e, "publish", err)
	}
	// A bundle that could not be written fails the command, after the publication made.
	if code := printSummary(e, p, *asJSON); code != exitOK || err == nil {
		return code
	}
	return pubFail(e, "publish", err)
}

const publicationUsage = `Usage:
  qiancun publication list     --db PATH [--force SLUG] [--period P] [--status 公示|已发布|已撤回|已更正] [--json]
  qiancun publication show     --db PATH ID [--json] [--unmasked]
  qiancun publication finalize --db PATH ID [--by NAME]
  qiancun publication withdraw --db PATH ID --reason TEXT [--by NAME]
  qiancun publication correct  --db PATH ID --reason TEXT [--by NAME] [--note TEXT] [--json]
  qiancun publication verify   --db PATH [--json]  |  --bundle DIR
  qiancun publication diff     --db PATH FROM [--to ID|live] [--json] [--unmasked]
  qiancun publication bundle   --db PATH ID --out DIR

finalize is allowed once the end of 公示 has come (today ≥ until) and every objection is
answered; withdraw only during 公示; correct publishes a correction from the live data that
supersedes a final publication. verify recomputes every hash and chain link, replays
every state log, and exits 1 naming the first bad publication and row, 0 when all hold.
`

func runPublication(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := e.stderr
		code := exitUsage
		if len(args) > 0 {
			w, code = e.stdout, exitOK
		}
		fmt.Fprint(w, publicationUsage)
		return code
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "list":
		return pubList(ctx, e, args)
	case "show":
		return pubShow(ctx, e, args)
	case "finalize", "withdraw":
		return pubMove(ctx, e, sub, args)
	case "correct":
		return pubCorrect(ctx, e, args)
	case "verify":
		return pubVerify(ctx, e, args)
	case "diff":
		return pubDiff(ctx, e, args)
	case "bundle":
		return pubBundle(ctx, e, args)
	}
	fmt.Fprintf(e.stderr, "qiancun publication: unknown subcommand %q\n\n%s", sub, publicationUsage)
	return exitUsage
}

// oneID reads the one positional argument, a publication id.
func oneID(e *env, cmd string, pos []string) (int64, int) {
	if len(pos) != 1 {
		return 0, fail(e, exitUsage, "%s: give one publication id (see --help)", cmd)
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, fail(e, exitUsage, "%s: %q is not a publication id", cmd, pos[0])
	}
	return id, exitOK
}

func pubList(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "publication list", "--db PATH [--force SLUG] [--period P] [--status S] [--json]",
		"Lists publications, newest first.")
	pf := addPubFlags(fs, e, false)
	force := fs.String("force", "", "only this force")
	period := fs.String("period", "", "only this appraisal period")
	status := fs.String("status", "", "only this state: 公示, 已发布, 已撤回 or 已更正")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseArgs(fs, args); err != nil {
		return usageCode(err)
	}
	st, svc, err := pf.open(ctx, e)
	if err != nil {
		return fail(e, exitFor(err), "publication list: %v", err)
	}
	defer st.Close()
	ps, err := svc.List(ctx, store.PublicationFilter{Force: qiancun.Force(*force), Period: *period, State: qiancun.PublicationState(*status)})
	if err != nil {
		return pubFail(e, "publication list", err)
	}
	if *asJSON {
		out := make([]publishedJSON, len(ps))
		for i := range ps {
			out[i] = summaryOf(&ps[i])
		}
		return writeJSON(e, out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tforce\tperiod\tstatus\tkind\tuntil\tmembers\tcreated\tby\thash")
	for i := range ps {
		p := &ps[i]
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", p.ID, p.Force, p.Period, p.State, p.Kind(), p.Until,
			p.MemberCount, p.CreatedAt.In(e.now().Location()).Format("2006-01-02 15:04"), p.CreatedBy, p.Hash[:12])
	}
	if err := tw.Flush(); err != nil {
		return fail(e, exitRejected, "%v", err)
	}
	return exitOK
}

// shownJSON is a publication in full as `publication show --json` prints it.
type shownJSON struct {
	*qiancun.Publication
	Kind       qiancun.PublicationKind `json:"kind"`
	Objections []qiancun.Objection     `json:"objections"`
}

func pubShow(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "publication show", "--db PATH ID [--json] [--unmasked]",
		"Shows a publication: its header, rules, submissions used, state log and objections (members: qiancun rank --publication ID).")
	pf := addPubFlags(fs, e, false)
	asJSON := fs.Bool("json", false, "print JSON")
	unmasked := fs.Bool("unmasked", false, "show 身份证号 in full (administrators only)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageCode(err)
	}
	id, code := oneID(e, "publication show", pos)
	if code != exitOK {
		return code
	}
	st, svc, err := pf.open(ctx, e)
	if err != nil {
		return fail(e, exitFor(err), "publication show: %v", err)
	}
	defer st.Close()
	p, err := svc.Get(ctx, id)
	if err != nil {
		return pubFail(e, "publication show", err)
	}
	obs, err := svc.Objections(ctx, store.ObjectionFilter{PublicationID: id})
	if err != nil {
		return pubFail(e, "publication show", err)
	}
	if !*unmasked {
		for i := range obs {
			obs[i].MemberKey = qiancun.MaskKey(p.KeyKind, obs[i].MemberKey)
		}
	}
	if *asJSON {
		return writeJSON(e, shownJSON{Publication: p, Kind: p.Kind(), Objections: obs})
	}
	printSummary(e, p, false)
	fmt.Fprintf(e.stdout, "created %s by %s · program %s\nrules %s (sha256 %s) · pack sha256 %s\n",
		p.CreatedAt.Format("2006-01-02 15:04:05Z07:00"), p.CreatedBy, p.Program, p.RulesVersion, p.RulesSHA256, p.PackSHA256)
	if p.Corrects != 0 {
		fmt.Fprintf(e.stdout, "更正 #%d：%s\n", p.Corrects, p.Reason)
	}
	if p.SupersededBy != 0 {
		fmt.Fprintf(e.stdout, "已被更正 #%d 取代\n", p.SupersededBy)
	}
	fmt.Fprintln(e.stdout, "submissions used:")
	for _, u := range p.Submissions {
		fmt.Fprintf(e.stdout, "  #%d %s %s sha256 %s\n", u.ID, u.Template, u.Month, u.SHA256)
	}
	fmt.Fprintln(e.stdout, "log:")
	for _, ev := range p.Events {
		fmt.Fprintf(e.stdout, "  %s %s %s→%s by %s %s\n", ev.At.Format("2006-01-02 15:04"), ev.Move, orDash(string(ev.From)), ev.To, ev.By, ev.Reason)
	}
	fmt.Fprintf(e.stdout, "objections: %d\n", len(obs))
	for _, o := range obs {
		fmt.Fprintf(e.stdout, "  #%d %s %s by %s: %s → %s %s\n", o.ID, o.MemberName, o.MemberKey, o.RaisedBy, o.Reason, orDash(string(o.Resolution)), o.Note)
	}
	return exitOK
}

func pubMove(ctx context.Context, e *env, move string, args []string) int {
	syn, about := "--db PATH ID [--by NAME]", "Makes a publication in 公示 final (已发布), once today ≥ its end date and every objection is answered."
	if move == "withdraw" {
		syn, about = "--db PATH ID --reason TEXT [--by NAME]", "Withdraws a publication during 公示 (已撤回), with a reason."
	}
	fs := newFlags(e, "publication "+move, syn, about)
	pf := addPubFlags(fs, e, false)
	reason := fs.String("reason", "", "why (required to withdraw)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageCode(err)
	}
	id, code := oneID(e, "publication "+move, pos)
	if code != exitOK {
		return code
	}
	st, svc, err := pf.open(ctx, e)
	if err != nil {
		return fail(e, exitFor(err), "publication %s: %v", move, err)
	}
	defer st.Close()
	var p *qiancun.Publication
	if move == "finalize" {
		p, err = svc.Finalize(ctx, id, *pf.by)
	} else {
		p, err = svc.Withdraw(ctx, id, *pf.by, *reason)
	}
	if err != nil {
		return pubFail(e, "publication "+move, err)
	}
	return printSummary(e, p, *asJSON)
}

func pubCorrect(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "publication correct", "--db PATH ID --reason TEXT [--by NAME] [--note TEXT] [--json]",
		`Publishes a correction (更正) of a final publication from the live data: a new publication,
final at once, that supersedes it. The old one stays readable.`)
	pf := addPubFlags(fs, e, true)
	reason := fs.String("reason", "", "why the correction is made (required)")
	note := fs.String("note", "", "a note kept with the correction")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageCode(err)
	}
	id, code := oneID(e, "publication correct", pos)
	if code != exitOK {
		return code
	}
	st, svc, err := pf.open(ctx, e)
	if err != nil {
		return fail(e, exitFor(err), "publication correct: %v", err)
	}
	defer st.Close()
	p, err := svc.Correct(ctx, id, *pf.by, *reason, *note)
	if p == nil {
		return pubFail(e, "publication correct", err)
	}
	if code := printSummary(e, p, *asJSON); code != exitOK || err == nil {
		return code
	}
	return pubFail(e, "publication correct", err)
}

func pubVerify(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "publication verify", "--db PATH [--json] | --bundle DIR [--json]",
		`Recomputes every publication's row hashes, hash and chain link, replays its state log
against the rules (a forged finalize, withdrawal or supersede), and exits 1 naming the
first bad publication and row, 0 when all hold. With --bundle, checks one bundle directory
on its own (no database needed): its files against the manifest, its rows and its hash.`)
	pf := addPubFlags(fs, e, false)
	bundle := fs.String("bundle", "", "verify this bundle directory instead of a database")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseArgs(fs, args); err != nil {
		return usageCode(err)
	}
	if *bundle != "" {
		st, err := store.Open(ctx, "")
		if err != nil {
			return fail(e, exitRejected, "%v", err)
		}
		defer st.Close()
		m, pr, err := publish.VerifyBundle(ctx, st, *bundle)
		if err != nil {
			return fail(e, exitRejected, "publication verify: %v", err)
		}
		if *asJSON {
			writeJSON(e, map[string]any{"publication": m.Publication.ID, "hash": m.Hash, "members": m.Members, "problem": pr})
		}
		if pr != nil {
			return fail(e, exitRejected, "publication verify: bundle %s: %v", *bundle, pr)
		}
		if !*asJSON {
			fmt.Fprintf(e.stdout, "ok: bundle of publication %d, %d members, hash %s\n", m.Publication.ID, m.Members, m.Hash)
		}
		return exitOK
	}
	st, svc, err := pf.open(ctx, e)
	if err != nil {
		return fail(e, exitFor(err), "publication verify: %v", err)
	}
	defer st.Close()
	rep, err := svc.Verify(ctx)
	if err != nil {
		return fail(e, exitRejected, "publication verify: %v", err)
	}
	if *asJSON {
		writeJSON(e, rep)
	}
	if !rep.OK() {
		return fail(e, exitRejected, "publication verify: %v", rep.Problem)
	}
	if !*asJSON {
		fmt.Fprintf(e.stdout, "ok: %d publications, %d member rows, every hash, chain link and state log holds\n", rep.Publications, rep.Rows)
	}
	return exitOK
}

func pubDiff(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "publication diff", "--db PATH FROM [--to ID|live] [--json] [--unmasked]",
		`Lists the members whose total, rank or grade changed between publication FROM and
publication --to (or the live data, the default), who entered or left, and which
submissions differ. Keys are masked unless --unmasked.`)
	pf := addPubFlags(fs, e, false)
	to := fs.String("to", "live", "a publication id, or live")
	asJSON := fs.Bool("json", false, "print JSON")
	unmasked := fs.Bool("unmasked", false, "show 身份证号 in full (administrators only)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageCode(err)
	}
	from, code := oneID(e, "publication diff", pos)
	if code != exitOK {
		return code
	}
	ref := publish.Live
	if *to != "live" {
		id, err := strconv.ParseInt(*to, 10, 64)
		if err != nil || id <= 0 {
			return fail(e, exitUsage, "publication diff: --to %q: want a publication id or live", *to)
		}
		ref = publish.Ref(id)
	}
	st, svc, err := pf.open(ctx, e)
	if err != nil {
		return fail(e, exitFor(err), "publication diff: %v", err)
	}
	defer st.Close()
	d, err := svc.Diff(ctx, from, ref)
	if err != nil {
		return pubFail(e, "publication diff", err)
	}
	if !*unmasked {
		d = d.Masked()
	}
	if *asJSON {
		return writeJSON(e, d)
	}
	fmt.Fprintf(e.stdout, "%s %s: publication %d → %s\n", d.Force, d.Period, from, ref)
	// The counts first: a diff of a thousand lines, or of none, says so before its table.
	fmt.Fprintf(e.stdout, "%d changed, %d entered, %d left; submissions: %d added, %d removed\n", len(d.Changed), len(d.Entered),
		len(d.Left), len(d.Submissions.Added), len(d.Submissions.Removed))
	if len(d.Changed)+len(d.Entered)+len(d.Left)+len(d.Submissions.Added)+len(d.Submissions.Removed) == 0 {
		return exitOK
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "change\tkey\tname\ttotal\trank\tgrade")
	for _, c := range d.Changed {
		fmt.Fprintf(tw, "changed\t%s\t%s\t%s → %s\t%d → %d\t%s → %s\n", c.Key, c.Name, c.Before.Total, c.After.Total,
			c.Before.Rank, c.After.Rank, c.Before.Grade, c.After.Grade)
	}
	for _, x := range d.Entered {
		fmt.Fprintf(tw, "entered\t%s\t%s\t%s\t%d\t%s\n", x.Key, x.Name, x.Total, x.Rank, x.Grade)
	}
	for _, x := range d.Left {
		fmt.Fprintf(tw, "left\t%s\t%s\t%s\t%d\t%s\n", x.Key, x.Name, x.Total, x.Rank, x.Grade)
	}
	for _, u := range d.Submissions.Added {
		fmt.Fprintf(tw, "submission added\t#%d\t%s %s\t\t\t\n", u.ID, u.Template, u.Month)
	}
	for _, u := range d.Submissions.Removed {
		fmt.Fprintf(tw, "submission removed\t#%d\t%s %s\t\t\t\n", u.ID, u.Template, u.Month)
	}
	if err := tw.Flush(); err != nil {
		return fail(e, exitRejected, "%v", err)
	}
	return exitOK
}

func pubBundle(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "publication bundle", "--db PATH ID --out DIR",
		"Writes a publication's bundle (members, indicators and submissions as Parquet, and manifest.json) as DIR/<id>/. A bundle is never overwritten.")
	pf := addPubFlags(fs, e, false)
	out := fs.String("out", "", "directory the bundle goes under (required)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageCode(err)
	}
	id, code := oneID(e, "publication bundle", pos)
	if code != exitOK {
		return code
	}
	if *out == "" {
		return fail(e, exitUsage, "publication bundle: --out is required")
	}
	st, svc, err := pf.open(ctx, e)
	if err != nil {
		return fail(e, exitFor(err), "publication bundle: %v", err)
	}
	defer st.Close()
	dir, err := svc.WriteBundle(ctx, id, *out)
	if err != nil {
		return pubFail(e, "publication bundle", err)
	}
	fmt.Fprintln(e.stdout, dir)
	return exitOK
}

const objectionUsage = `Usage:
  qiancun objection add     --db PATH PUBLICATION --key KEY --reason TEXT [--by NAME] [--json] [--unmasked]
  qiancun objection resolve --db PATH ID --resolution 维持|更正 --note TEXT [--by NAME] [--json] [--unmasked]
  qiancun objection list    --db PATH [--publication ID] [--open] [--json] [--unmasked]

An objection (异议) is recorded against one member of a publication during its 公示, and
answered once: 维持 (the figure stands) or 更正 (it will be corrected), with a note.
Keys (身份证号) are printed masked unless --unmasked.
`

func runObjection(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w, code := e.stderr, exitUsage
		if len(args) > 0 {
			w, code = e.stdout, exitOK
		}
		fmt.Fprint(w, objectionUsage)
		return code
	}
	sub, args := args[0], args[1:]
	fs := newFlags(e, "objection "+sub, "(see qiancun objection --help)", strings.TrimSpace(objectionUsage))
	pf := addPubFlags(fs, e, false)
	asJSON := fs.Bool("json", false, "print JSON")
	var key, reason, resolution, note *string
	var pubID *int64
	var open *bool
	unmasked := fs.Bool("unmasked", false, "show 身份证号 in full (administrators only)")
	switch sub {
	case "add":
		key = fs.String("key", "", "the member's key (身份证号 or 统一社会信用代码), or its masked form as listings show it when only one member has it; required")
		reason = fs.String("reason", "", "the objection, required")
	case "resolve":
		resolution = fs.String("resolution", "", "维持 or 更正, required")
		note = fs.String("note", "", "the answer, required")
	case "list":
		pubID = fs.Int64("publication", 0, "only this publication's")
		open = fs.Bool("open", false, "only those not yet answered")
	default:
		fmt.Fprintf(e.stderr, "qiancun objection: unknown subcommand %q\n\n%s", sub, objectionUsage)
		return exitUsage
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageCode(err)
	}
	var id int64
	if sub != "list" {
		var code int
		if id, code = oneID(e, "objection "+sub, pos); code != exitOK {
			return code
		}
	}
	st, svc, err := pf.open(ctx, e)
	if err != nil {
		return fail(e, exitFor(err), "objection %s: %v", sub, err)
	}
	defer st.Close()
	switch sub {
	case "add":
		if *key == "" {
			return fail(e, exitUsage, "objection add: --key is required")
		}
		o, err := svc.AddObjection(ctx, id, *key, *pf.by, *reason)
		if err != nil {
			return pubFail(e, "objection add", err)
		}
		if !*unmasked {
			maskObjection(o)
		}
		if *asJSON {
			return writeJSON(e, o)
		}
		fmt.Fprintf(e.stdout, "objection %d recorded against %s in publication %d\n", o.ID, o.MemberName, id)
	case "resolve":
		o, err := svc.Resolve(ctx, id, qiancun.Resolution(*resolution), *pf.by, *note)
		if err != nil {
			return pubFail(e, "objection resolve", err)
		}
		if !*unmasked {
			maskObjection(o)
		}
		if *asJSON {
			return writeJSON(e, o)
		}
		fmt.Fprintf(e.stdout, "objection %d answered: %s\n", o.ID, o.Resolution)
	case "list":
		obs, err := svc.Objections(ctx, store.ObjectionFilter{PublicationID: *pubID, OpenOnly: *open})
		if err != nil {
			return pubFail(e, "objection list", err)
		}
		if !*unmasked {
			for i := range obs {
				maskObjection(&obs[i])
			}
		}
		if *asJSON {
			return writeJSON(e, obs)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(tw, "id\tpublication\tmember\tkey\tby\treason\tresolution\tnote")
		for _, o := range obs {
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", o.ID, o.PublicationID, o.MemberName, o.MemberKey, o.RaisedBy, o.Reason, orDash(string(o.Resolution)), o.Note)
		}
		if err := tw.Flush(); err != nil {
			return fail(e, exitRejected, "%v", err)
		}
	}
	return exitOK
}

// maskObjection masks the objection's key when it is a 身份证号; credit codes are public.
func maskObjection(o *qiancun.Objection) {
	if qiancun.ValidID(o.MemberKey) {
		o.MemberKey = qiancun.MaskID(o.MemberKey)
	}
}
