package api

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/qiancun/qiancun/auth"
)

// The roles, tokens and their scopes live in auth/, shared with the pages (web/); these
// names keep the API's vocabulary.

// Role is what a bearer token may do.
type Role = auth.Role

// The five roles.
const (
	RoleAdmin     = auth.RoleAdmin
	RoleUploader  = auth.RoleUploader
	RoleEvaluator = auth.RoleEvaluator
	RoleLeader    = auth.RoleLeader
	RoleMonitor   = auth.RoleMonitor
)

// Roles lists the roles.
func Roles() []Role { return auth.Roles() }

// Token is one bearer token as the configuration declares it: only its SHA-256 is kept.
type Token = auth.Token

// NewToken returns a fresh random token (32 bytes from crypto/rand) and its hash.
func NewToken() (token string, hash [32]byte, err error) { return auth.NewToken() }

// FormatHash writes a token hash as the configuration holds it: sha256:<64 hex digits>.
func FormatHash(h [32]byte) string { return auth.FormatHash(h) }

// ParseHash reads a hash written by FormatHash.
func ParseHash(s string) ([32]byte, error) { return auth.ParseHash(s) }

// caller is the authenticated holder of a request's token.
type caller struct {
	tok *Token
}

func (c *caller) admin() bool { return c.tok.Admin() }

// district is the district a leader is limited to, or "".
func (c *caller) district() string { return c.tok.District }

// mayTemplate reports whether the caller may submit and read the template.
func (c *caller) mayTemplate(t string) bool { return c.tok.MayTemplate(t) }

// authenticate finds the token presented (auth.Tokens.Authenticate), or nil.
func (s *Server) authenticate(presented string) *Token { return s.tokens.Authenticate(presented) }

const callerKey = "qiancun.caller"

// allow answers 401 to a request without a valid bearer token and 403 to a caller whose
// role is not among roles; otherwise it records the caller for the handler.
func (s *Server) allow(roles ...Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.GetHeader("Authorization")
		scheme, tok, ok := strings.Cut(h, " ")
		if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			s.fail(c, errUnauthorized("需要令牌：请在请求头中给出 Authorization: Bearer <令牌>"))
			c.Abort()
			return
		}
		t := s.authenticate(strings.TrimSpace(tok))
		if t == nil {
			s.fail(c, errUnauthorized("令牌无效或已过期"))
			c.Abort()
			return
		}
		c.Set(callerKey, &caller{t})
		if !slices.Contains(roles, t.Role) {
			s.fail(c, errForbidden(fmt.Sprintf("%s角色无权使用此接口", t.Role.Label())))
			c.Abort()
			return
		}
		c.Next()
	}
}

// callerOf returns the request's caller; every route behind allow has one.
func callerOf(c *gin.Context) *caller {
	v, _ := c.Get(callerKey)
	cl, _ := v.(*caller)
	return cl
}

// scopeKey carries an uploader's templates to the guarded sink.
type scopeKey struct{}

// withScope marks ctx with the templates an uploader may write; other callers write any.
func withScope(ctx context.Context, who *Token) context.Context {
	if who.Role != RoleUploader {
		return ctx
	}
	return context.WithValue(ctx, scopeKey{}, who.Templates)
}

// inScope reports whether ctx may write template.
func inScope(ctx context.Context, template string) bool {
	ts, ok := ctx.Value(scopeKey{}).([]string)
	return !ok || slices.Contains(ts, template)
}
