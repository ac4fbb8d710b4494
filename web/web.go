// Package web serves the pages for people: the leaders' overview, rankings, scorecards and
// districts, and the departments' upload desk, on the same gin engine and port as the API.
// Pages are rendered on the server with html/template from templates/, and static/ holds
// the stylesheet, one small script and the vendored Chart.js; all are embedded. Tables work
// without JavaScript; only the charts need it.
//
// A page shows what the API shows: it calls the same api.Server methods that build the
// API's answers (never the API over HTTP) and renders them as HTML. Sign-in, sessions and
// CSRF tokens are auth's; roles and scopes are exactly the API's. See README.md.
package web

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/api"
	"github.com/qiancun/qiancun/auth"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure the pages.
type Options struct {
	// Sessions signs the session cookies, CSRF tokens and sign-in links. Required.
	Sessions *auth.Sessions
	// SecureCookies marks the cookies Secure even on a plain-HTTP request: set it when a
	// TLS proxy in front does not say X-Forwarded-Proto: https. A request over TLS, or
	// forwarded as https, gets Secure cookies anyway.
	SecureCookies bool
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger; default discards.
	Logger *slog.Logger
}

// Server is the pages. It is safe for concurrent use.
type Server struct {
	api    *api.Server
	opt    Options
	ledger *auth.Ledger
	pages  map[string]*template.Template
	static http.Handler
	log    *slog.Logger
}

// New parses the templates and returns the pages over a (the API server whose methods build
// what the pages show).
func New(a *api.Server, opt Options) (*Server, error) {
	if opt.Sessions == nil {
		return nil, fmt.Errorf("web: no session signer")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{api: a, opt: opt, ledger: auth.NewLedger(), pages: map[string]*template.Template{}, log: opt.Logger}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).Funcs(template.FuncMap{
			// templateTitle names a template as its department knows it: 第一书记工作情况表.
			"templateTitle": func(slug string) string {
				if t := a.Templates().Get(slug); t != nil {
					return t.Title
				}
				if slug == "" {
					return "未能识别"
				}
				return slug
			},
		}).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", n, err)
		}
		s.pages[base] = t
	}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	s.static = http.StripPrefix("/static/", http.FileServerFS(sub))
	return s, nil
}

// Mount adds the pages' routes to e (api.Server.Mount calls it). Every page route is listed
// here with the roles that may see it.
func (s *Server) Mount(e *gin.Engine) {
	var (
		readers   = s.allow(auth.RoleAdmin, auth.RoleEvaluator, auth.RoleLeader)
		uploaders = s.allow(auth.RoleAdmin, auth.RoleUploader)
		history   = s.allow(auth.RoleAdmin, auth.RoleEvaluator, auth.RoleUploader)
		files     = s.allow(auth.RoleAdmin, auth.RoleEvaluator) // raw files, diffs, objections
		anyone    = s.allow(auth.RoleAdmin, auth.RoleEvaluator, auth.RoleLeader, auth.RoleUploader)
	)
	g := e.Group("", s.headers)
	g.GET("/static/*file", s.serveStatic)
	g.GET("/login", s.loginForm)
	g.POST("/login", s.login)
	g.POST("/logout", s.session, s.checkCSRF, s.logout)

	p := g.Group("", s.session)
	p.GET("/", anyone, s.overview)
	p.GET("/rankings/:force", readers, s.ranking)
	p.GET("/rankings/:force/appraisal.xlsx", readers, s.appraisalBook)
	p.GET("/members/:id", readers, s.member)
	p.GET("/districts/:code", readers, s.district)
	p.GET("/upload", uploaders, s.uploadDesk)
	p.POST("/upload", uploaders, s.upload)
	p.GET("/submissions/:id", history, s.receipt)
	p.GET("/submissions/:id/receipt.xlsx", history, s.receiptBook)
	p.GET("/files/:id", files, s.rawFile)

	admins := s.allow(auth.RoleAdmin)
	p.GET("/publications", readers, s.publications)
	p.POST("/publications", admins, s.checkCSRF, s.publish)
	p.GET("/publications/:id", readers, s.publication)
	p.GET("/publications/:id/diff", files, s.publicationDiff)
	p.POST("/publications/:id/objections", files, s.checkCSRF, s.object)
	p.POST("/publications/:id/finalize", admins, s.checkCSRF, s.move("finalize"))
	p.POST("/publications/:id/withdraw", admins, s.checkCSRF, s.move("withdraw"))
	p.POST("/publications/:id/correct", admins, s.checkCSRF, s.move("correct"))
	p.POST("/objections/:id/resolve", admins, s.checkCSRF, s.resolve)
}

// csp is the pages' Content-Security-Policy: nothing but the service itself, no inline
// script, and no framing.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// headers sets the security headers of every page and asset.
func (s *Server) headers(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	c.Next()
}

func (s *Server) serveStatic(c *gin.Context) {
	// The assets change only with the binary.
	c.Header("Cache-Control", "public, max-age=3600")
	s.static.ServeHTTP(c.Writer, c.Request)
}

// secure reports whether the request came over TLS (directly or through a proxy that says
// so), or the options force Secure cookies.
func (s *Server) secure(c *gin.Context) bool {
	return s.opt.SecureCookies || c.Request.TLS != nil || strings.EqualFold(c.GetHeader("X-Forwarded-Proto"), "https")
}

// render writes the page name with status.
func (s *Server) render(c *gin.Context, status int, name string, v *view) {
	t, ok := s.pages[name]
	if !ok {
		panic("web: no template " + name)
	}
	v.Page = name
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout.html", v); err != nil {
		s.log.Error("render", "page", name, "err", err)
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "private, no-store")
	c.Data(status, "text/html; charset=utf-8", []byte(b.String()))
}

// fail renders err as an error page, with the status api.Server.ErrorOf gives it.
func (s *Server) fail(c *gin.Context, err error) {
	ae := s.api.ErrorOf(c, err)
	if ae == nil || c.Writer.Written() {
		return
	}
	v := s.newView(c, errorTitle(ae.Status))
	v.Error = &errorView{Status: ae.Status, Title: errorTitle(ae.Status), Detail: errorDetail(ae), RequestID: c.Writer.Header().Get("X-Request-Id")}
	if ae.Status == http.StatusForbidden && v.Who != nil {
		// Say what the account may see instead, and offer the way there.
		switch d := v.Who.District; {
		case ae.Message == msgCSRF:
			v.Error.Detail = "请求来源无法确认，未执行。请刷新页面后重试。"
		case ae.Message == msgRoleRefused && v.Who.Is(auth.RoleUploader):
			v.Error.Detail = "报送员账号只能上报文件、查看本单位的报送记录。如需查看其他内容，请联系管理员。"
			v.Error.Href, v.Error.Link = "/upload", "前往上报"
		case ae.Message == msgRoleRefused:
			v.Error.Detail = "您的账号（" + v.Who.Role.Label() + "）无权使用此页面。如需使用，请联系管理员。"
		case d != "":
			name := qiancun.DistrictName(d)
			v.Error.Detail = "您的账号仅限查看" + name + "的数据，不能查看其他区县。"
			v.Error.Href, v.Error.Link = "/districts/"+d, "查看"+name
		}
	}
	t := s.pages["error"]
	var b strings.Builder
	v.Page = "error"
	if err := t.ExecuteTemplate(&b, "layout.html", v); err != nil {
		c.Data(ae.Status, "text/plain; charset=utf-8", []byte(errorTitle(ae.Status)))
		return
	}
	c.Header("Cache-Control", "private, no-store")
	c.Data(ae.Status, "text/html; charset=utf-8", []byte(b.String()))
}

func errorTitle(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "请求有误"
	case http.StatusUnauthorized:
		return "请先登录"
	case http.StatusForbidden:
		return "无权查看"
	case http.StatusNotFound:
		return "未找到"
	case http.StatusRequestEntityTooLarge:
		return "文件过大"
	case http.StatusConflict:
		return "操作未执行"
	}
	return "服务器内部错误"
}

// paramNames are the query parameters' Chinese names, for the error pages.
var paramNames = map[string]string{
	"period": "考核期", "district": "区县", "grade": "等次", "force": "力量", "page": "页码", "key": "成员",
	"id": "编号", "template": "模板", "file": "文件", "accept_valid": "仅接收有效行", "code": "代码",
}

func errorDetail(ae *api.Error) string {
	switch ae.Status {
	case http.StatusBadRequest:
		if n, ok := paramNames[ae.Param]; ok {
			return "参数“" + n + "”不正确，请返回上一页重新选择。"
		}
		return "请求的参数不正确，请返回上一页重新选择。"
	case http.StatusForbidden:
		return "您的账号无权查看此内容。"
	case http.StatusNotFound:
		return "没有找到所要的内容，或您无权查看。"
	case http.StatusRequestEntityTooLarge:
		return "上传的文件超过了大小上限。"
	case http.StatusUnauthorized:
		return "请使用令牌登录。"
	case http.StatusConflict:
		return ae.Message // the publication rules' refusal, in Chinese
	}
	return "请稍后再试；如仍出错，请把请求编号告知管理员。"
}

// forbidden is the answer to a role that may not see a page.
func forbidden(msg string) error {
	return &api.Error{Status: http.StatusForbidden, Code: "forbidden", Message: msg}
}

func badParam(param, msg string) error {
	return &api.Error{Status: http.StatusBadRequest, Code: "bad_parameter", Param: param, Message: msg}
}
