package reports

import (
	"fmt"
	"strconv"
	"time"

	"github.com/qiancun/qiancun"
)

// Publication makes an appraisal workbook the document of a publication: the title block
// of every sheet and the document properties say which draft it is (公示稿, 正式稿 or 更正稿),
// its id, hash and 公示 window; a 公示名单 sheet fit for a notice board, the objections and
// their answers, and for a correction what it corrects and why, are added.
type Publication struct {
	ID        int64
	Kind      qiancun.PublicationKind
	State     qiancun.PublicationState
	Hash      string
	PrevHash  string
	CreatedAt time.Time
	CreatedBy string
	Until     string // last day of 公示, YYYY-MM-DD; "" for a correction
	// ObjectionsTo says where objections go, printed on 公示名单; default: the appraisal
	// office.
	ObjectionsTo string
	Corrects     int64  // the publication a correction supersedes
	Reason       string // why
	Corrections  []Correction
	Objections   []qiancun.Objection
}

// Correction is a member whose standing a correction changed.
type Correction struct {
	Change                  string // 变动, 新增 or 移出
	Key, Name               string
	BeforeTotal, AfterTotal string
	BeforeRank, AfterRank   int
	BeforeGrade, AfterGrade string
}

// defaultObjectionsTo is where objections go when the publication does not say.
const defaultObjectionsTo = "市万人下乡、千村提升工作专班办公室（考核组）"

// window is the 公示 period as text.
func (p *Publication) window() string {
	if p.Until == "" {
		return "无（更正稿直接生效）"
	}
	return p.CreatedAt.In(beijing()).Format("2006年1月2日") + " 至 " + untilText(p.Until)
}

func untilText(d string) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	return t.Format("2006年1月2日")
}

func shortHash(h string) string {
	if len(h) > 16 {
		return h[:16]
	}
	return h
}

// pubLine is the publication's part of every sheet's title block.
func (a *appraisal) pubLine() string {
	p := a.in.Publication
	if p == nil {
		return ""
	}
	s := fmt.Sprintf("【%s】发布编号 #%d　状态：%s　公示期：%s　校验码(SHA-256)：%s", p.Kind, p.ID, p.State, p.window(), p.Hash)
	if p.Corrects != 0 {
		s += fmt.Sprintf("　更正发布 #%d：%s", p.Corrects, p.Reason)
	}
	return s
}

// publicationSheets writes 公示名单, 异议处理 and, for a correction, 更正说明.
func (a *appraisal) publicationSheets() error {
	if a.in.Publication == nil {
		return nil
	}
	if err := a.noticeList(); err != nil {
		return err
	}
	if err := a.objections(); err != nil {
		return err
	}
	if a.in.Publication.Corrects != 0 {
		return a.corrections()
	}
	return nil
}

// noticeList writes 公示名单: for the notice board, keys always masked.
func (a *appraisal) noticeList() error {
	p := a.in.Publication
	to := p.ObjectionsTo
	if to == "" {
		to = defaultObjectionsTo
	}
	const sheet = "公示名单"
	t := &table{
		sheet: sheet,
		title: forceName(a.r) + "考核结果公示名单（" + qiancun.PeriodLabel(a.r.Period) + "·" + string(p.Kind) + "）",
		info: fmt.Sprintf("公示期：%s。对公示结果有异议的，请于公示期内向%s实名提出。发布编号 #%d，校验码 %s。",
			p.window(), to, p.ID, shortHash(p.Hash)),
		footer: a.footer(sheet),
		cols: []column{
			{header: "排名", kind: kCode, width: 6}, {header: "姓名", kind: kText, width: 10},
			{header: "证件号", kind: kCode, width: 20}, {header: "区县", kind: kText, width: 10},
			{header: "总分", kind: kDec2, width: 8}, {header: "等次", kind: kCode, width: 9},
		},
		rows: len(a.members),
	}
	sw, err := a.b.start(t)
	if err != nil {
		return err
	}
	for _, i := range a.members {
		m := &a.r.Members[i]
		if err := sw.add([]any{
			sw.cell(kCode, false, m.Rank), sw.cell(kText, false, m.Name),
			sw.cell(kCode, false, qiancun.MaskKey(a.r.KeyKind, m.Key)), sw.cell(kText, false, m.District),
			sw.cell(kDec2, false, float64(score(m))/100), sw.cell(kCode, false, m.Grade),
		}); err != nil {
			return err
		}
	}
	return sw.end()
}

// key is a member key as this workbook shows it.
func (a *appraisal) key(k string) string {
	if a.in.Unmasked || !qiancun.ValidID(k) {
		return k
	}
	return qiancun.MaskID(k)
}

// objections writes 异议处理: every objection and its answer.
func (a *appraisal) objections() error {
	obs := a.in.Publication.Objections
	const sheet = "异议处理"
	open := 0
	for _, o := range obs {
		if o.Open() {
			open++
		}
	}
	t := &table{
		sheet:  sheet,
		title:  forceName(a.r) + "考核结果异议及处理情况（" + qiancun.PeriodLabel(a.r.Period) + "）",
		info:   a.info(fmt.Sprintf("异议 %d 件，待答复 %d 件", len(obs), open)),
		footer: a.footer(sheet),
		cols: []column{
			{header: "编号", kind: kCode, width: 6}, {header: "姓名", kind: kText, width: 10},
			{header: "证件号", kind: kCode, width: 20}, {header: "提出人", kind: kText, width: 12},
			{header: "提出时间", kind: kCode, width: 17}, {header: "异议理由", kind: kText, width: 30},
			{header: "答复", kind: kCode, width: 8}, {header: "答复人", kind: kText, width: 12},
			{header: "答复时间", kind: kCode, width: 17}, {header: "答复说明", kind: kText, width: 30},
		},
		rows: len(obs),
	}
	sw, err := a.b.start(t)
	if err != nil {
		return err
	}
	for _, o := range obs {
		res, at := "待答复", ""
		if !o.Open() {
			res = string(o.Resolution)
			if o.ResolvedAt != nil {
				at = stamp(*o.ResolvedAt)
			}
		}
		if err := sw.add([]any{
			sw.cell(kCode, false, o.ID), sw.cell(kText, false, o.MemberName), sw.cell(kCode, false, a.key(o.MemberKey)),
			sw.cell(kText, false, o.RaisedBy), sw.cell(kCode, false, stamp(o.RaisedAt)), sw.cell(kText, false, o.Reason),
			sw.cell(kCode, false, res), sw.cell(kText, false, o.ResolvedBy), sw.cell(kCode, false, at), sw.cell(kText, false, o.Note),
		}); err != nil {
			return err
		}
	}
	return sw.end()
}

// corrections writes 更正说明: what a correction corrects, and why.
func (a *appraisal) corrections() error {
	p := a.in.Publication
	const sheet = "更正说明"
	t := &table{
		sheet:  sheet,
		title:  forceName(a.r) + "考核结果更正说明（" + qiancun.PeriodLabel(a.r.Period) + "）",
		info:   fmt.Sprintf("本更正稿（发布 #%d）更正并取代发布 #%d。更正理由：%s。以下为总分、排名或等次有变动的人员，共 %d 人。", p.ID, p.Corrects, p.Reason, len(p.Corrections)),
		footer: a.footer(sheet),
		cols: []column{
			{header: "变动", kind: kCode, width: 6}, {header: "姓名", kind: kText, width: 10},
			{header: "证件号", kind: kCode, width: 20}, {header: "原总分", kind: kText, width: 8},
			{header: "现总分", kind: kText, width: 8}, {header: "原排名", kind: kText, width: 6},
			{header: "现排名", kind: kText, width: 6}, {header: "原等次", kind: kCode, width: 9},
			{header: "现等次", kind: kCode, width: 9},
		},
		rows: len(p.Corrections),
	}
	sw, err := a.b.start(t)
	if err != nil {
		return err
	}
	rank := func(r int) string {
		if r == 0 {
			return ""
		}
		return strconv.Itoa(r)
	}
	for _, c := range p.Corrections {
		if err := sw.add([]any{
			sw.cell(kCode, false, c.Change), sw.cell(kText, false, c.Name), sw.cell(kCode, false, a.key(c.Key)),
			sw.cell(kText, false, c.BeforeTotal), sw.cell(kText, false, c.AfterTotal),
			sw.cell(kText, false, rank(c.BeforeRank)), sw.cell(kText, false, rank(c.AfterRank)),
			sw.cell(kCode, false, c.BeforeGrade), sw.cell(kCode, false, c.AfterGrade),
		}); err != nil {
			return err
		}
	}
	return sw.end()
}
