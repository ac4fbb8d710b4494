package web

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/qiancun/qiancun/api"
	"github.com/qiancun/qiancun/auth"
)

const (
	// sessionCookie holds the signed session (auth.Sessions).
	sessionCookie = "qc_session"
	// loginCookie holds the nonce of the sign-in form's CSRF token, for ten minutes.
	loginCookie = "qc_login"
	loginTTL    = 10 * time.Minute

	whoKey  = "qiancun.web.who"
	sessKey = "qiancun.web.session"
)

// setCookie writes a cookie as every cookie of the pages is: HttpOnly, SameSite=Strict,
// path /, and Secure behind TLS.
func (s *Server) setCookie(c *gin.Context, name, value string, maxAge time.Duration) {
	ck := &http.Cookie{
		Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: s.secure(c), MaxAge: int(maxAge / time.Second),
	}
	if maxAge < 0 {
		ck.MaxAge = -1
	}
	http.SetCookie(c.Writer, ck)
}

// session finds the request's session: a GET without one is sent to the sign-in page (and
// back afterwards), anything else gets 401. A valid session is refreshed when its last
// recorded use is a minute old, which is what makes the idle expiry work without a store.
func (s *Server) session(c *gin.Context) {
	who, sess, err := s.sessionOf(c)
	if err != nil {
		if c.Request.Method == http.MethodGet {
			s.setCookie(c, sessionCookie, "", -1)
			c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
			c.Abort()
			return
		}
		s.fail(c, &api.Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "no session"})
		c.Abort()
		return
	}
	if next, rewrite := s.opt.Sessions.Touch(sess); rewrite {
		sess = next
		s.setCookie(c, sessionCookie, s.opt.Sessions.Encode(sess), time.Until(s.opt.Sessions.Expires(sess)))
	}
	c.Set(whoKey, who)
	c.Set(sessKey, sess)
	api.SetCaller(c, who)
	c.Next()
}

// sessionOf decodes the session cookie and finds its token among those configured: a token
// taken out of the configuration ends its sessions.
func (s *Server) sessionOf(c *gin.Context) (*auth.Token, auth.Session, error) {
	v, err := c.Cookie(sessionCookie)
	if err != nil {
		return nil, auth.Session{}, err
	}
	sess, err := s.opt.Sessions.Decode(v)
	if err != nil {
		return nil, sess, err
	}
	who := s.api.Tokens().ByHash(sess.Hash)
	if who == nil || who.Role == auth.RoleMonitor {
		return nil, sess, auth.ErrSession
	}
	return who, sess, nil
}

func whoOf(c *gin.Context) *auth.Token {
	v, _ := c.Get(whoKey)
	t, _ := v.(*auth.Token)
	return t
}

func sessionOfCtx(c *gin.Context) (auth.Session, bool) {
	v, ok := c.Get(sessKey)
	if !ok {
		return auth.Session{}, false
	}
	sess, ok := v.(auth.Session)
	return sess, ok
}

// msgRoleRefused is the message of a 403 for a role a page does not serve.
const msgRoleRefused = "role not allowed on this page"

// allow answers 403 to a signed-in role not among roles.
func (s *Server) allow(roles ...auth.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		if who := whoOf(c); who == nil || !who.Is(roles...) {
			s.fail(c, forbidden(msgRoleRefused))
			c.Abort()
			return
		}
		c.Next()
	}
}

// sameOrigin reports whether a POST comes from one of the service's own pages, by the
// headers browsers set and pages cannot forge: Sec-Fetch-Site, else Origin.
func sameOrigin(c *gin.Context) bool {
	if site := c.GetHeader("Sec-Fetch-Site"); site != "" {
		return site == "same-origin"
	}
	if o := c.GetHeader("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		return err == nil && u.Host == c.Request.Host
	}
	return true // neither header: not a browser's cross-site form; the token still has to match
}

const msgCSRF = "cross-site request refused"

var errCSRF = forbidden(msgCSRF)

// checkCSRF refuses a POST that is not from the service's own page or lacks the session's
// CSRF token in its csrf form field. The upload form is multipart and checks its token as
// it reads the form (see upload).
func (s *Server) checkCSRF(c *gin.Context) {
	sess, ok := sessionOfCtx(c)
	if !ok || !sameOrigin(c) || !s.opt.Sessions.CheckCSRF(sess, c.PostForm("csrf")) {
		s.fail(c, errCSRF)
		c.Abort()
		return
	}
	c.Next()
}

// loginForm answers GET /login: the form with one field, the token; or, for a sign-in
// link (?ticket=), a button that uses it (a link is used by a POST, so that a preview of
// the link by a chat program does not spend it).
func (s *Server) loginForm(c *gin.Context) {
	s.renderLogin(c, http.StatusOK, "")
}

func (s *Server) renderLogin(c *gin.Context, status int, problem string) {
	var n [16]byte
	_, _ = rand.Read(n[:])
	nonce := base64.RawURLEncoding.EncodeToString(n[:])
	s.setCookie(c, loginCookie, nonce, loginTTL)
	v := s.newView(c, "登录")
	v.Login = &loginView{CSRF: s.opt.Sessions.LoginCSRF(nonce), Next: safeNext(c.Query("next")), Problem: problem}
	if tk := c.Query("ticket"); tk != "" {
		if _, err := s.opt.Sessions.ParseTicket(tk); err != nil {
			v.Login.Problem = "登录链接无效或已过期，请向管理员索取新的链接，或用令牌登录。"
		} else {
			v.Login.Ticket = tk
		}
	}
	s.render(c, status, "login", v)
}

// safeNext keeps a return path only when it is a path of this site.
func safeNext(n string) string {
	if !strings.HasPrefix(n, "/") || strings.HasPrefix(n, "//") || strings.HasPrefix(n, "/\\") || strings.HasPrefix(n, "/login") {
		return ""
	}
	return n
}

// login answers POST /login: with the token (or a sign-in link's ticket) it starts a
// session and answers 303 to / (or to the page the visitor first asked for).
func (s *Server) login(c *gin.Context) {
	nonce, err := c.Cookie(loginCookie)
	if err != nil || !sameOrigin(c) || c.PostForm("csrf") != s.opt.Sessions.LoginCSRF(nonce) {
		c.Request.URL.RawQuery = ""
		s.renderLogin(c, http.StatusForbidden, "登录表单已过期，请重新登录。")
		return
	}
	var who *auth.Token
	if tk := c.PostForm("ticket"); tk != "" {
		t, err := s.opt.Sessions.ParseTicket(tk)
		if err == nil && !s.ledger.Spend(t, s.opt.Now()) {
			err = errors.New("ticket spent")
		}
		if err == nil {
			who = s.api.Tokens().ByHash(t.Hash)
		}
		if who == nil {
			c.Request.URL.RawQuery = ""
			s.renderLogin(c, http.StatusUnauthorized, "登录链接无效、已用过或已过期，请向管理员索取新的链接，或用令牌登录。")
			return
		}
	} else {
		who = s.api.Tokens().Authenticate(strings.TrimSpace(c.PostForm("token")))
		if who == nil {
			c.Request.URL.RawQuery = ""
			s.renderLogin(c, http.StatusUnauthorized, "令牌无效，请检查后重新输入。")
			return
		}
	}
	if who.Role == auth.RoleMonitor {
		c.Request.URL.RawQuery = ""
		s.renderLogin(c, http.StatusForbidden, "监控令牌只能读取 /metrics，不能登录页面。")
		return
	}
	sess, err := s.opt.Sessions.New(who.Hash)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.setCookie(c, loginCookie, "", -1)
	s.setCookie(c, sessionCookie, s.opt.Sessions.Encode(sess), s.opt.Sessions.MaxAge())
	api.SetCaller(c, who)
	next := safeNext(c.PostForm("next"))
	if next == "" {
		next = "/"
	}
	c.Redirect(http.StatusSeeOther, next)
}

// logout answers POST /logout: the cookie is cleared and the browser sent to the sign-in
// page. (A copy of the cookie kept elsewhere stays valid until its idle or absolute expiry:
// there is no store to revoke it in; taking the token out of the configuration ends all its
// sessions.)
func (s *Server) logout(c *gin.Context) {
	s.setCookie(c, sessionCookie, "", -1)
	c.Redirect(http.StatusSeeOther, "/login")
}
