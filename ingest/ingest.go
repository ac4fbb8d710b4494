package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"time"

	"github.com/qiancun/qiancun"
)

// The types ingest shares with the store live in the root package; these aliases keep
// ingest's own names.
type (
	// Registry is what validation needs to know of the assisted villages.
	Registry = qiancun.Registry
	// Tx is a submission being written.
	Tx = qiancun.Tx
	// Submission is one file's outcome, ready for the sink.
	Submission = qiancun.Submission
	// Fact is one valid data row.
	Fact = qiancun.Fact
	// Quarantined is a bad row set aside under --accept-valid.
	Quarantined = qiancun.Quarantined
	// Source is a file as received, read in pieces: a *bytes.Reader, or an
	// *io.SectionReader over an open file.
	Source = qiancun.Upload
)

// Sink receives validated submissions. The store satisfies it.
type Sink interface {
	// Registry returns the current village registry (empty when none was submitted).
	Registry(ctx context.Context) (Registry, error)
	// Current returns the receipt of the submission of template and period that counts now,
	// if it came from the file with this SHA-256.
	Current(ctx context.Context, template, period, sha256 string) (*qiancun.Receipt, bool, error)
	// Begin opens the one transaction of a submission of template t. Its valid rows are
	// added while the rest of the file is still being read; Commit then stores the raw
	// file, the submission, its issues and quarantined rows, and the replacement of the
	// (template, period) it supersedes, all at once.
	Begin(ctx context.Context, t *Template) (Tx, error)
}

// Options steer one ingest.
type Options struct {
	Template    string // force this template's slug; empty: recognise from the headers
	Period      string // YYYY-MM given by the uploader; wins over the file's own
	AcceptValid bool   // accept the valid rows and quarantine the bad ones
	DryRun      bool   // validate and return the receipt, write nothing
	Uploader    string
	// Log, when set, receives the readers' debug messages (the fast .xlsx reader says
	// when it steps aside for excelize).
	Log *slog.Logger
	// Progress, when set, is called now and then with the rows read so far and the total
	// when known (else 0).
	Progress func(done, total int)
	// BeforeCommit, when set, is called with the receipt just before the submission is
	// committed, its rows already written in the open transaction. Tests use it to hold
	// concurrent ingests at a barrier.
	BeforeCommit func(*qiancun.Receipt)
}

// Ingester reads files into a Sink. It is safe for concurrent use when its Sink is.
type Ingester struct {
	templates *Templates
	index     headerIndex
	sink      Sink
	limits    Limits
	now       func() time.Time
}

// New returns an Ingester for the templates, writing to sink.
func New(ts *Templates, sink Sink, lim Limits) *Ingester {
	return &Ingester{templates: ts, index: newHeaderIndex(ts.All()), sink: sink, limits: lim, now: time.Now}
}

// Templates returns the templates in force.
func (in *Ingester) Templates() *Templates { return in.templates }

// Ingest reads one file and returns its receipt. Problems in the file are issues of the
// receipt, not errors; an error means the file could not be handled at all (the database
// failed, the context ended).
func (in *Ingester) Ingest(ctx context.Context, name string, data []byte, opt Options) (*qiancun.Receipt, error) {
	return in.IngestFrom(ctx, name, bytes.NewReader(data), opt)
}

// IngestFrom is Ingest of a file read in pieces from src, as it is needed, rather than held
// in memory: an .xlsx's sheets stream from their zip entries, and the store keeps the file
// by copying it in pieces. src must not change until IngestFrom returns.
func (in *Ingester) IngestFrom(ctx context.Context, name string, src Source, opt Options) (*qiancun.Receipt, error) {
	var forced *Template
	if opt.Template != "" {
		if forced = in.templates.Get(opt.Template); forced == nil {
			return nil, fmt.Errorf("unknown template %q", opt.Template)
		}
	}
	if opt.Period != "" {
		if _, err := qiancun.ParseMonth(opt.Period); err != nil {
			return nil, err
		}
	}
	sum, err := hashOf(src)
	if err != nil {
		return nil, err
	}
	if lim := in.limits.orDefault(); src.Size() > lim.MaxFileBytes {
		// Refused for its size: checked no further, and not stored.
		return TooLarge(name, src.Size(), sum, lim, in.now()), nil
	}
	// A submission that lost a race with another of the same (template, period) was rolled
	// back whole; read it again, so that it applies after the winner (or, being the same
	// file, changes nothing).
	for attempt := 1; ; attempt++ {
		rc, err := in.ingest(ctx, name, src, sum, forced, opt)
		if !errors.Is(err, qiancun.ErrConflict) || attempt == maxAttempts {
			return rc, err
		}
	}
}

// maxAttempts bounds how many times one file is read again after losing a race: each loss
// means another submission of the same (template, period) committed meanwhile.
const maxAttempts = 8

// ingest is one attempt at Ingest.
func (in *Ingester) ingest(ctx context.Context, name string, src Source, sum string, forced *Template, opt Options) (*qiancun.Receipt, error) {
	rc := &qiancun.Receipt{
		File:       fileName(name),
		SHA256:     sum,
		ReceivedAt: in.now().UTC(),
		Issues:     []qiancun.Issue{},
	}
	sub := &Submission{Receipt: rc, File: src, Uploader: opt.Uploader}
	w := &writer{sink: in.sink, dry: opt.DryRun}
	defer w.abort()
	err := in.read(ctx, name, src, forced, opt, sub, w)
	if werr := w.finish(); err == nil {
		err = werr
	}
	var fe *FileError
	switch {
	case errors.As(err, &fe):
		rc.Add(qiancun.Issue{Rule: qiancun.BadFile, Severity: qiancun.Error, Message: fe.Message})
	case err != nil:
		return nil, err
	}
	rc.Seal() // every value masked, the issues past the limits counted
	if sub.Template != nil {
		rc.Template = sub.Template.Slug
	}
	// The same file again for the same template and period changes nothing and says so.
	if rc.Template != "" && (rc.Period != "" || sub.Template.Kind != KindMonthly) {
		prev, ok, err := in.sink.Current(ctx, rc.Template, rc.Period, rc.SHA256)
		if err != nil {
			return nil, err
		}
		if ok && !(opt.AcceptValid && prev.Status == qiancun.Rejected) {
			w.abort()
			prev.File, prev.Status, prev.ReceivedAt = rc.File, qiancun.Unchanged, rc.ReceivedAt
			prev.Replaces = 0
			return prev, nil
		}
	}
	switch {
	case rc.Errors() == 0:
		rc.Status = qiancun.Accepted
	case opt.AcceptValid && w.added > 0 && !fileLevel(rc.Issues):
		rc.Status = qiancun.Partial
	default:
		rc.Status = qiancun.Rejected
	}
	rc.Accepted = w.added
	if rc.Status == qiancun.Rejected {
		rc.Accepted = 0
		sub.Quarantined = nil
	}
	rc.Quarantined = len(sub.Quarantined)
	if opt.DryRun {
		return rc, nil
	}
	if opt.BeforeCommit != nil {
		opt.BeforeCommit(rc)
	}
	if err := w.commit(ctx, sub); err != nil {
		return nil, err
	}
	return rc, nil
}

// hashOf is the SHA-256 of src, in hex.
func hashOf(src Source) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(src, 0, src.Size())); err != nil {
		return "", fmt.Errorf("read the file: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// TooLarge is the receipt of a file refused for its size (size bytes, over lim's
// MaxFileBytes), which is neither read nor stored: rejected, with the reason and a
// not_stored warning. sha is the file's SHA-256 in hex, when known (a caller that streams
// the file to hash it); received is when it came.
func TooLarge(name string, size int64, sha string, lim Limits, received time.Time) *qiancun.Receipt {
	lim = lim.orDefault()
	rc := &qiancun.Receipt{
		File: fileName(name), SHA256: sha, Status: qiancun.Rejected, ReceivedAt: received.UTC(), Issues: []qiancun.Issue{},
	}
	rc.Add(qiancun.Issue{Rule: qiancun.BadFile, Severity: qiancun.Error, Message: fmt.Sprintf(msgFileTooBig, sizeText(lim.MaxFileBytes))})
	rc.Add(qiancun.Issue{Rule: qiancun.NotStored, Severity: qiancun.Warning,
		Message: fmt.Sprintf("文件大小 %s，超过上限 %s：未读取，也未保存", sizeText(size), sizeText(lim.MaxFileBytes))})
	return rc
}

// fileName is the name a receipt gives a file: its base name, with anything shaped like a
// 身份证号 masked (an office may name a file after a person).
func fileName(name string) string { return qiancun.MaskText(filepath.Base(name)) }

// MaxFileBytes is the largest file the ingester reads; a larger one gets TooLarge.
func (in *Ingester) MaxFileBytes() int64 { return in.limits.orDefault().MaxFileBytes }

// writer streams valid rows to the sink's transaction in batches, on a goroutine of its own,
// so that the database writes while the file is still being read.
type writer struct {
	sink  Sink
	dry   bool
	tx    Tx
	batch []Fact
	ch    chan []Fact
	done  chan error
	added int
	err   error
}

// batchSize is how many rows go to the database at a time.
const batchSize = 2048

// begin opens the transaction for template t, unless this is a dry run.
func (w *writer) begin(ctx context.Context, t *Template) error {
	if w.dry {
		return nil
	}
	tx, err := w.sink.Begin(ctx, t)
	if err != nil {
		return err
	}
	ch, done := make(chan []Fact, 4), make(chan error, 1)
	w.tx, w.ch, w.done = tx, ch, done
	go func() {
		var err error
		for b := range ch {
			if err == nil {
				err = tx.Add(b)
			}
		}
		done <- err
	}()
	return nil
}

// add queues one valid row.
func (w *writer) add(f Fact) {
	w.added++
	if w.tx == nil {
		return
	}
	if w.batch == nil {
		w.batch = make([]Fact, 0, batchSize)
	}
	w.batch = append(w.batch, f)
	if len(w.batch) == batchSize {
		w.ch <- w.batch
		w.batch = nil
	}
}

// finish sends the last batch and waits until every row is written.
func (w *writer) finish() error {
	if w.ch == nil {
		return nil
	}
	if len(w.batch) > 0 {
		w.ch <- w.batch
		w.batch = nil
	}
	close(w.ch)
	w.ch = nil
	w.err = <-w.done
	return w.err
}

// commit stores the submission: in the open transaction, or, for a file whose template
// was never known, in one of its own.
func (w *writer) commit(ctx context.Context, sub *Submission) error {
	if w.tx == nil {
		tx, err := w.sink.Begin(ctx, sub.Template)
		if err != nil {
			return err
		}
		w.tx = tx
	}
	err := w.tx.Commit(ctx, sub)
	w.tx = nil
	return err
}

// abort drops whatever was written; after commit it does nothing.
func (w *writer) abort() {
	_ = w.finish()
	if w.tx != nil {
		_ = w.tx.Rollback()
		w.tx = nil
	}
}

// fileLevel reports whether an issue concerns the whole file, so that no row can be
// accepted: a missing column, no period, an unreadable file.
func fileLevel(is []qiancun.Issue) bool {
	for _, i := range is {
		switch i.Rule {
		case qiancun.MissingColumn, qiancun.BadPeriod, qiancun.BadFile, qiancun.UnknownTemplate, qiancun.NoData:
			if i.Severity == qiancun.Error {
				return true
			}
		}
	}
	return false
}

// read opens the book, finds the data sheet and its template, and validates every row into
// sub. A *FileError means the file itself could not be read.
func (in *Ingester) read(ctx context.Context, name string, src Source, forced *Template, opt Options, sub *Submission, w *writer) error {
	rc := sub.Receipt
	book, err := open(name, src, in.limits, opt.Log)
	if err != nil {
		return err
	}
	defer book.Close()

	// Choose the data sheet by its header, whatever its position or visibility.
	var (
		best      *layout
		bestSheet SheetInfo
		bestRows  int
	)
	for _, sh := range book.Sheets() {
		rows, nums, err := headRows(book, sh.Name)
		if err != nil {
			return err
		}
		l := findLayout(rows, nums, in.index, in.templates.All(), forced)
		if l != nil && (best == nil || l.score > best.score) {
			best, bestSheet, bestRows = l, sh, sh.Rows
		}
	}
	if best == nil {
		msg := "未能识别表头：文件中没有与任何模板相符的表头行，请使用标准模板"
		if forced != nil {
			msg = fmt.Sprintf("未找到模板「%s」的表头行", forced.Title)
			sub.Template = forced
		}
		rc.Add(qiancun.Issue{Rule: qiancun.UnknownTemplate, Severity: qiancun.Error, Message: msg})
		if forced != nil {
			rc.Issues[len(rc.Issues)-1].Rule = qiancun.MissingColumn
		}
		return nil
	}
	sub.Template = best.tmpl
	rc.Sheet = bestSheet.Name
	v := newValidator(in, best, bestSheet.Name, sub, opt, w)
	if err := w.begin(ctx, best.tmpl); err != nil {
		return err
	}
	if v.t.RoleColumn(RoleVillages) != nil || v.t.RoleColumn(RoleTown) != nil {
		if v.reg, err = in.sink.Registry(ctx); err != nil {
			return err
		}
	}
	v.checkHeader()

	rows, err := book.Rows(bestSheet.Name)
	if err != nil {
		return err
	}
	defer rows.Close()
	v.nums = rows
	lastHeader := best.headerRows[len(best.headerRows)-1]
	n := 0
	for rows.Next() {
		num := rows.Num()
		if num <= lastHeader {
			continue
		}
		v.row(num, rows.Cells())
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if opt.Progress != nil {
				opt.Progress(num, bestRows)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if opt.Progress != nil {
		opt.Progress(bestRows, bestRows)
	}
	return v.finish(name, opt)
}

// headRows reads the first rows of a sheet, for the header search.
func headRows(book Book, sheet string) ([][]string, []int, error) {
	it, err := book.Rows(sheet)
	if err != nil {
		return nil, nil, err
	}
	defer it.Close()
	var rows [][]string
	var nums []int
	for len(rows) < headerScan && it.Next() {
		rows = append(rows, slices.Clone(it.Cells()))
		nums = append(nums, it.Num())
	}
	return rows, nums, it.Err()
}

// message texts of the receipt, in Chinese.
func ruleMessage(rule qiancun.Rule, col *Column, detail string) string {
	h := ""
	if col != nil {
		h = "「" + col.Header + "」"
	}
	var m string
	switch rule {
	case qiancun.MissingColumn:
		m = "缺少必填列" + h
	case qiancun.MissingValue:
		m = h + "为必填项，不能为空"
	case qiancun.BadNumber:
		m = h + "应为数字金额"
	case qiancun.BadInteger:
		m = h + "应为整数"
	case qiancun.OutOfRange:
		m = h + "超出允许范围"
	case qiancun.BadID:
		m = h + "不是有效的18位身份证号（校验位不符或格式错误）"
	case qiancun.BadUSCC:
		m = h + "不是有效的18位统一社会信用代码"
	case qiancun.BadCode:
		m = h + "代码格式错误"
	case qiancun.UnknownVillage:
		m = h + "中的村代码不在帮扶村名册中"
	case qiancun.UnknownTown:
		m = h + "中的镇街代码没有帮扶村"
	case qiancun.BadChoice:
		m = h + "取值不在允许范围内"
	case qiancun.DuplicateKey:
		m = h + "重复：同一期同一模板中每个对象只能出现一次"
	case qiancun.BadPeriod:
		m = "无法确定报告期"
	case qiancun.BadDate:
		m = h + "不是有效日期"
	case qiancun.NoData:
		m = "文件中没有数据行"
	case qiancun.BadEncoding:
		m = h + "含有无法识别的字符（文件编码错误或有乱码），请检查此单元格并重新输入"
	case qiancun.SkippedRow:
		m = "已跳过合计行或表尾说明行"
	case qiancun.ExtraColumn:
		m = "模板中没有此列，已忽略"
	case qiancun.UnitConverted:
		m = h + "金额单位已换算为元"
	}
	if detail != "" {
		m += "：" + detail
	}
	return m
}

// maskValue masks a 身份证号 wherever a receipt would show it.
func maskValue(col *Column, v string) string {
	if col != nil && col.Type == IDType {
		return qiancun.MaskID(qiancun.FoldID(v))
	}
	return v
}
