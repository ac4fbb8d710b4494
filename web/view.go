package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"math/big"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/api"
	"github.com/qiancun/qiancun/auth"
	"github.com/qiancun/qiancun/store"
)

// view is everything a page's template reads: the layout's part, and the one page's.
type view struct {
	Title string
	Page  string
	Who   *auth.Token
	CSRF  string
	Nav   []navItem

	Error    *errorView
	Login    *loginView
	Overview *overviewView
	Ranking  *rankingView
	Member   *memberView
	District *districtView
	Upload   *uploadView
	Receipt  *receiptView

	Publications *publicationsView
	Publication  *publicationView
	Diff         *diffView
	Notices      []api.PublicationView // publications in 公示, for the banner
}

type navItem struct {
	Label, Href string
	Current     bool
}

type errorView struct {
	Status           int
	Title, Detail    string
	RequestID        string
	Href, Link       string // where the account may go instead, and the link's words
	SignInSuggestion bool
}

type loginView struct {
	CSRF, Next, Problem, Ticket string
}

// newView starts a page's view: who is signed in, the session's CSRF token and the links
// the role may follow.
func (s *Server) newView(c *gin.Context, title string) *view {
	v := &view{Title: title, Who: whoOf(c)}
	if sess, ok := sessionOfCtx(c); ok {
		v.CSRF = s.opt.Sessions.CSRF(sess)
	}
	if v.Who == nil {
		return v
	}
	path := c.Request.URL.Path
	add := func(label, href, prefix string) {
		v.Nav = append(v.Nav, navItem{label, href, path == href || prefix != "" && len(path) >= len(prefix) && path[:len(prefix)] == prefix})
	}
	if v.Who.Is(auth.RoleAdmin, auth.RoleEvaluator, auth.RoleLeader) {
		add("总览", "/", "")
		add("排名", "/rankings/first_secretary", "/rankings/")
		if d := v.Who.District; d != "" {
			add("本区县", "/districts/"+d, "/districts/")
		}
		add("公示", "/publications", "/publications")
	}
	if v.Who.Is(auth.RoleAdmin, auth.RoleUploader) {
		add("上报", "/upload", "/upload")
	}
	return v
}

// option is one choice of a <select>.
type option struct {
	Value, Label string
	Selected     bool
}

// periodOptions lists the periods of the reporting month's year up to it, newest first:
// the months, the quarters begun, and the year; sel is selected (and added if missing).
func periodOptions(latest qiancun.Month, sel string) []option {
	var out []option
	seen := false
	add := func(v, l string) {
		o := option{v, l, v == sel}
		seen = seen || o.Selected
		out = append(out, o)
	}
	for m := latest.Month; m >= 1; m-- {
		p := qiancun.Period{Kind: qiancun.MonthPeriod, Year: latest.Year, N: m}
		add(p.String(), p.Label())
	}
	for q := (latest.Month + 2) / 3; q >= 1; q-- {
		p := qiancun.Period{Kind: qiancun.QuarterPeriod, Year: latest.Year, N: q}
		add(p.String(), p.Label())
	}
	y := qiancun.Period{Kind: qiancun.YearPeriod, Year: latest.Year}
	add(y.String(), y.Label())
	if !seen && sel != "" {
		out = append([]option{{sel, periodLabel(sel), true}}, out...)
	}
	return out
}

// periodLabel writes a period in Chinese (qiancun.PeriodLabel); templates call it as
// "period".
func periodLabel(p string) string { return qiancun.PeriodLabel(p) }

func districtOptions(sel string, only string) []option {
	var out []option
	if only == "" {
		out = append(out, option{"", "全市", sel == ""})
	}
	for _, d := range qiancun.Districts() {
		if only != "" && d.Code != only {
			continue
		}
		out = append(out, option{d.Code, d.Name, d.Code == sel})
	}
	return out
}

var china = time.FixedZone("CST", 8*3600)

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"gradeClass": func(g string) string {
		switch g {
		case qiancun.GradeExcellent:
			return "g-ex"
		case qiancun.GradeCompetent:
			return "g-ok"
		case qiancun.GradeBasic:
			return "g-basic"
		case qiancun.GradeIncompetent:
			return "g-bad"
		}
		return ""
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(china).Format("2006-01-02 15:04")
	},
	"day": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(china).Format("2006-01-02")
	},
	"period": periodLabel,
	// dueDay writes the last day a file is on time, from the exclusive deadline (the
	// start of the 11th): 2024年7月10日.
	"dueDay": func(due time.Time) string {
		if due.IsZero() {
			return "—"
		}
		d := due.In(china).Add(-time.Nanosecond)
		return fmt.Sprintf("%d年%d月%d日", d.Year(), d.Month(), d.Day())
	},
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"statusLabel": statusLabel,
	"statusClass": func(s string) string {
		switch s {
		case string(qiancun.Accepted), api.Received:
			return "ok"
		case string(qiancun.Partial), string(qiancun.Unchanged), api.Late:
			return "warn"
		}
		return "bad"
	},
	"severityLabel": func(s qiancun.Severity) string {
		if s == qiancun.Error {
			return "错误"
		}
		return "提示"
	},
	"roleLabel": func(r auth.Role) string { return r.Label() },
	"districtName": func(code string) string {
		if code == "" {
			return "全市"
		}
		return qiancun.DistrictName(code)
	},
	"query": func(kv ...string) template.URL {
		q := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] != "" {
				q.Set(kv[i], kv[i+1])
			}
		}
		return template.URL(q.Encode())
	},
	"has": func(xs []string, x string) bool {
		for _, y := range xs {
			if y == x {
				return true
			}
		}
		return false
	},
	"thousands": thousands,
	"num":       func(v any) string { return thousands(fmt.Sprint(v)) },
	"progress":  progressDisplay,
	"forceName": func(slug string) string {
		if f, ok := qiancun.LookupForce(slug); ok {
			return f.Name
		}
		return slug
	},
	"pubClass": func(state string) string {
		switch qiancun.PublicationState(state) {
		case qiancun.Final:
			return "ok"
		case qiancun.Notice:
			return "warn"
		}
		return "bad"
	},
	"sub":        func(a, b int) int { return a - b },
	"add":        func(a, b int) int { return a + b },
	"submission": func(x store.Submission) store.Submission { return x },
}

// statusLabel is a receipt's or a reporting line's state in Chinese.
func statusLabel(s string) string {
	switch s {
	case string(qiancun.Accepted):
		return "已接收"
	case string(qiancun.Partial):
		return "部分接收"
	case string(qiancun.Rejected):
		return "已退回"
	case string(qiancun.Unchanged):
		return "未变化（同一文件已报送）"
	case api.Received:
		return "已报"
	case api.Late:
		return "迟报"
	case api.Missing:
		return "未报"
	}
	return s
}

// thousands groups the digits of a decimal number by three: 280000000.00 gives
// 280,000,000.00. Anything that is not a number is returned as it is.
func thousands(v string) string {
	sign, rest := "", v
	if strings.HasPrefix(rest, "-") {
		sign, rest = "-", rest[1:]
	}
	whole, frac, hasFrac := strings.Cut(rest, ".")
	if whole == "" || strings.Trim(whole, "0123456789") != "" || (hasFrac && strings.Trim(frac, "0123456789") != "") {
		return v
	}
	var b strings.Builder
	b.WriteString(sign)
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	return b.String()
}

// progressDisplay is a progress line as the overview shows it: amounts in 元 are written in
// 万元 (two decimals, as the departments' own reports do), every figure with thousands
// separators.
func progressDisplay(l qiancun.ProgressLine) qiancun.ProgressLine {
	label, ok := strings.CutSuffix(l.Label, "（元）")
	if ok {
		l.Label = label + "（万元）"
		l.Actual, l.Target = wan(l.Actual), wan(l.Target)
	}
	l.Actual, l.Target = thousands(l.Actual), thousands(l.Target)
	return l
}

// wan turns an amount in 元 into 万元 with two decimals (rounded half away from zero):
// 3029123786.52 gives 302912.38. Anything that is not a number is returned as it is.
func wan(yuan string) string {
	r, ok := new(big.Rat).SetString(yuan)
	if !ok || yuan == "" {
		return yuan
	}
	return r.Quo(r, big.NewRat(10000, 1)).FloatString(2)
}
