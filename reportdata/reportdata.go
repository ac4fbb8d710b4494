// Package reportdata turns what the query engine and the store hold into the inputs of the
// workbooks of package reports. It is the one place that knows both sides, so that the
// command line and the HTTP API make the same workbooks from the same data:
//
//	in, err := reportdata.Appraisal(ctx, engine, store, reportdata.AppraisalRequest{...})
//	if err != nil { ... }
//	w.Header().Set("Content-Disposition", reports.ContentDisposition(in.Filename()))
//	err = reports.WriteAppraisal(w, in)
//
// Bad request parameters come back as *queries.ParamError, as the engine's own do.
package reportdata

import (
	"context"
	"fmt"
	"slices"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
	"github.com/qiancun/qiancun/publish"
	"github.com/qiancun/qiancun/queries"
	"github.com/qiancun/qiancun/reports"
	"github.com/qiancun/qiancun/store"
)

// Engine is what the adapters need of the query engine (*queries.Engine).
type Engine interface {
	Rank(ctx context.Context, force qiancun.Force, period string) (*qiancun.Ranking, error)
	Run(ctx context.Context, pack string, params map[string]string) (*queries.Result, error)
}

// Store is what they need of the store (*store.Store).
type Store interface {
	Submissions(ctx context.Context, f store.SubmissionFilter) ([]store.Submission, int, error)
	Receipt(ctx context.Context, id int64) (*qiancun.Receipt, error)
	RawFile(ctx context.Context, sha string) ([]byte, error)
}

// AppraisalRequest asks for the appraisal workbook of a force for a period.
type AppraisalRequest struct {
	Force    string // slug
	Period   string // YYYY-MM, YYYY-Qn or YYYY
	District string // district code; empty for the whole city
	// Unmasked shows 身份证号 in full: set it only for an administrator.
	Unmasked bool
}

// Appraisal gathers the appraisal workbook's input: the force's ranking for the period,
// and the submissions it was computed from (the current submission of the force's template
// for each month of the period).
func Appraisal(ctx context.Context, eng Engine, st Store, req AppraisalRequest) (reports.AppraisalInput, error) {
	if err := checkDistrict(req.District); err != nil {
		return reports.AppraisalInput{}, err
	}
	r, err := eng.Rank(ctx, qiancun.Force(req.Force), req.Period)
	if err != nil {
		return reports.AppraisalInput{}, err
	}
	var sources []reports.Source
	for _, m := range r.Months {
		subs, _, err := st.Submissions(ctx, store.SubmissionFilter{Templates: []string{req.Force}, Period: m, Limit: 1000})
		if err != nil {
			return reports.AppraisalInput{}, err
		}
		for _, s := range subs {
			if s.Current {
				sources = append(sources, source(s))
			}
		}
	}
	return reports.AppraisalInput{Ranking: r, District: req.District, Unmasked: req.Unmasked, Sources: sources}, nil
}

func source(s store.Submission) reports.Source {
	return reports.Source{
		ID: s.ID, Template: s.Template, Period: s.Period, File: s.File, SHA256: s.SHA256,
		Status: qiancun.Status(s.Status), Rows: s.Rows, Accepted: s.Accepted, ReceivedAt: s.ReceivedAt,
	}
}

// Coverage gathers the coverage workbook's input for a period, from the villages and
// village_districts packs. With a district, the villages are that district's, and the
// summary has its row and the city's.
func Coverage(ctx context.Context, eng Engine, period, district string) (reports.CoverageInput, error) {
	if err := checkDistrict(district); err != nil {
		return reports.CoverageInput{}, err
	}
	vs, err := eng.Run(ctx, "villages", map[string]string{"period": period, "district": district})
	if err != nil {
		return reports.CoverageInput{}, err
	}
	ds, err := eng.Run(ctx, "village_districts", map[string]string{"period": period})
	if err != nil {
		return reports.CoverageInput{}, err
	}
	in := reports.CoverageInput{Period: period, District: district}
	if per, err := qiancun.ParsePeriod(period); err == nil {
		in.Period = per.String()
	}
	col := columns(vs)
	for _, row := range vs.Rows {
		v := reports.Village{
			Code: text(row, col, "code"), Name: text(row, col, "name"),
			DistrictCode: text(row, col, "district_code"), District: text(row, col, "district"),
			TownCode: text(row, col, "town_code"), Town: text(row, col, "town"), Zone: text(row, col, "zone"),
		}
		for _, f := range qiancun.Forces() {
			if b, _ := value(row, col, string(f.Slug)).(bool); b {
				v.Forces = append(v.Forces, f.Slug)
			}
		}
		in.Villages = append(in.Villages, v)
	}
	col = columns(ds)
	for _, row := range ds.Rows {
		d := reports.DistrictCoverage{
			Code: text(row, col, "district_code"), Name: text(row, col, "district"),
			Villages: number(row, col, "villages"), AllSeven: number(row, col, "all_seven"), None: number(row, col, "none"),
			Reached: map[qiancun.Force]int64{},
		}
		if district != "" && d.Code != "" && d.Code != district {
			continue
		}
		for _, f := range qiancun.Forces() {
			d.Reached[f.Slug] = number(row, col, string(f.Slug))
		}
		in.Districts = append(in.Districts, d)
	}
	return in, nil
}

// Receipt gathers the receipt workbook's input for submission id: its receipt and the
// file as it was received.
func Receipt(ctx context.Context, st Store, id int64, unmasked bool) (reports.ReceiptInput, error) {
	rc, err := st.Receipt(ctx, id)
	if err != nil {
		return reports.ReceiptInput{}, err
	}
	data, err := st.RawFile(ctx, rc.SHA256)
	if err != nil {
		return reports.ReceiptInput{}, fmt.Errorf("file of submission %d: %w", id, err)
	}
	return ReceiptOf(rc, data, unmasked), nil
}

// ReceiptOf is the receipt workbook's input for a receipt and the file it was made from:
// the file, whatever its format, is read again with ingest's readers (the same rows, so the
// same cell addresses) and written afresh; a file they cannot read, or that the receipt
// calls unreadable, gets a receipt of 问题清单 alone.
func ReceiptOf(rc *qiancun.Receipt, data []byte, unmasked bool) reports.ReceiptInput {
	in := reports.ReceiptInput{Receipt: rc, Unmasked: unmasked}
	if slices.ContainsFunc(rc.Issues, func(is qiancun.Issue) bool { return is.Rule == qiancun.BadFile }) {
		return in // not opened again: corrupt, encrypted, a zip bomb
	}
	book, err := ingest.Open(rc.File, data, ingest.DefaultLimits())
	if err != nil {
		return in // the receipt says what is wrong with the file
	}
	infos := book.Sheets()
	book.Close()
	for _, sh := range infos {
		in.Sheets = append(in.Sheets, reports.Sheet{Name: sh.Name, Hidden: sh.Hidden, Rows: rowsOf(rc.File, data, sh.Name)})
	}
	return in
}

// rowsOf reads a sheet's rows, opening the file afresh on each call so that nothing stays
// open between the adapter and the writer.
func rowsOf(name string, data []byte, sheet string) func(yield func(int, []string) bool) error {
	return func(yield func(int, []string) bool) error {
		book, err := ingest.Open(name, data, ingest.DefaultLimits())
		if err != nil {
			return err
		}
		defer book.Close()
		it, err := book.Rows(sheet)
		if err != nil {
			return err
		}
		defer it.Close()
		for it.Next() {
			if !yield(it.Num(), it.Cells()) {
				return nil
			}
		}
		return it.Err()
	}
}

func checkDistrict(code string) error {
	if code != "" && qiancun.DistrictName(code) == "" {
		return &queries.ParamError{Param: "district", Msg: fmt.Sprintf("%q 不是济南市的区县代码", code)}
	}
	return nil
}

// columns maps a result's column names to their positions.
func columns(res *queries.Result) map[string]int {
	m := make(map[string]int, len(res.Columns))
	for i, c := range res.Columns {
		m[c.Name] = i
	}
	return m
}

func value(row []any, col map[string]int, name string) any {
	if i, ok := col[name]; ok && i < len(row) {
		return row[i]
	}
	return nil
}

func text(row []any, col map[string]int, name string) string {
	s, _ := value(row, col, name).(string)
	return s
}

func number(row []any, col map[string]int, name string) int64 {
	n, _ := value(row, col, name).(int64)
	return n
}

// Publications is what the publication workbook needs of the publication service
// (*publish.Service).
type Publications interface {
	Get(ctx context.Context, id int64) (*qiancun.Publication, error)
	Objections(ctx context.Context, f store.ObjectionFilter) ([]qiancun.Objection, error)
	Diff(ctx context.Context, from int64, to publish.Ref) (*publish.Diff, error)
}

// PublishedAppraisal gathers the appraisal workbook of publication id: its frozen ranking,
// the submissions it froze (as the store recorded them), its objections and answers, and
// for a correction the members whose standing it changed.
func PublishedAppraisal(ctx context.Context, pubs Publications, st Store, id int64, district string, unmasked bool) (reports.AppraisalInput, error) {
	if err := checkDistrict(district); err != nil {
		return reports.AppraisalInput{}, err
	}
	p, err := pubs.Get(ctx, id)
	if err != nil {
		return reports.AppraisalInput{}, err
	}
	var sources []reports.Source
	for _, u := range p.Submissions {
		subs, _, err := st.Submissions(ctx, store.SubmissionFilter{Templates: []string{u.Template}, Period: u.Month, Limit: 1000})
		if err != nil {
			return reports.AppraisalInput{}, err
		}
		for _, s := range subs {
			if s.ID == u.ID {
				sources = append(sources, source(s))
			}
		}
	}
	obs, err := pubs.Objections(ctx, store.ObjectionFilter{PublicationID: id})
	if err != nil {
		return reports.AppraisalInput{}, err
	}
	info := &reports.Publication{
		ID: p.ID, Kind: p.Kind(), State: p.State, Hash: p.Hash, PrevHash: p.PrevHash, CreatedAt: p.CreatedAt,
		CreatedBy: p.CreatedBy, Until: p.Until, Corrects: p.Corrects, Reason: p.Reason, Objections: obs,
	}
	if p.Corrects != 0 {
		d, err := pubs.Diff(ctx, p.Corrects, publish.Ref(p.ID))
		if err != nil {
			return reports.AppraisalInput{}, err
		}
		for _, c := range d.Changed {
			info.Corrections = append(info.Corrections, reports.Correction{Change: "变动", Key: c.Key, Name: c.Name,
				BeforeTotal: c.Before.Total, AfterTotal: c.After.Total, BeforeRank: c.Before.Rank, AfterRank: c.After.Rank,
				BeforeGrade: c.Before.Grade, AfterGrade: c.After.Grade})
		}
		for _, x := range d.Entered {
			info.Corrections = append(info.Corrections, reports.Correction{Change: "新增", Key: x.Key, Name: x.Name,
				AfterTotal: x.Total, AfterRank: x.Rank, AfterGrade: x.Grade})
		}
		for _, x := range d.Left {
			info.Corrections = append(info.Corrections, reports.Correction{Change: "移出", Key: x.Key, Name: x.Name,
				BeforeTotal: x.Total, BeforeRank: x.Rank, BeforeGrade: x.Grade})
		}
	}
	return reports.AppraisalInput{Ranking: p.Ranking(), District: district, Unmasked: unmasked, Sources: sources,
		Publication: info}, nil
}
