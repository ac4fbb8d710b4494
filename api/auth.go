package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/qiancun/qiancun"
)

// Role is what a bearer token may do.
type Role string

// The five roles.
const (
	// RoleAdmin may do everything and sees member keys unmasked.
	RoleAdmin Role = "admin"
	// RoleUploader may submit files of its department's templates and read their history,
	// and nothing else.
	RoleUploader Role = "uploader"
	// RoleEvaluator reads everything, with 身份证号 masked.
	RoleEvaluator Role = "evaluator"
	// RoleLeader reads rankings, scorecards, villages and progress, of one district when
	// the token names one.
	RoleLeader Role = "leader"
	// RoleMonitor reads /metrics only.
	RoleMonitor Role = "monitor"
)

// Roles lists the roles.
func Roles() []Role {
	return []Role{RoleAdmin, RoleUploader, RoleEvaluator, RoleLeader, RoleMonitor}
}

// Token is one bearer token as the configuration declares it: only its SHA-256 is kept.
type Token struct {
	Name      string   // who holds it, for the logs and the submissions' uploader column
	Role      Role     //
	Templates []string // uploader: the templates it may submit and read
	District  string   // leader: the district it is limited to, or "" for the city
	Hash      [32]byte // SHA-256 of the token
}

// Check reports what is wrong with t, if anything. known tells whether a template slug
// exists.
func (t *Token) Check(known func(template string) bool) error {
	if t.Hash == [32]byte{} {
		return fmt.Errorf("token %q: no hash", t.Name)
	}
	if !slices.Contains(Roles(), t.Role) {
		return fmt.Errorf("token %q: unknown role %q (want admin, uploader, evaluator, leader or monitor)", t.Name, t.Role)
	}
	if len(t.Templates) > 0 && t.Role != RoleUploader {
		return fmt.Errorf("token %q: only an uploader is limited to templates", t.Name)
	}
	if t.Role == RoleUploader && len(t.Templates) == 0 {
		return fmt.Errorf("token %q: an uploader needs the templates of its department", t.Name)
	}
	for _, tm := range t.Templates {
		if known != nil && !known(tm) {
			return fmt.Errorf("token %q: unknown template %q", t.Name, tm)
		}
	}
	if t.District != "" {
		if t.Role != RoleLeader {
			return fmt.Errorf("token %q: only a leader is limited to a district", t.Name)
		}
		if qiancun.DistrictName(t.District) == "" {
			return fmt.Errorf("token %q: %q is not one of Jinan's district codes", t.Name, t.District)
		}
	}
	return nil
}

// tokenPrefix starts every token, so that a leaked one is easy to recognise.
const tokenPrefix = "qc_"

// NewToken returns a fresh random token (32 bytes from crypto/rand) and its hash.
func NewToken() (token string, hash [32]byte, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", hash, fmt.Errorf("random token: %w", err)
	}
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, sha256.Sum256([]byte(token)), nil
}

// FormatHash writes a token hash as the configuration holds it: sha256:<64 hex digits>.
func FormatHash(h [32]byte) string { return "sha256:" + hex.EncodeToString(h[:]) }

// ParseHash reads a hash written by FormatHash.
func ParseHash(s string) ([32]byte, error) {
	var h [32]byte
	hx, ok := strings.CutPrefix(strings.TrimSpace(s), "sha256:")
	if !ok {
		return h, fmt.Errorf("token hash %q: want sha256:<64 hex digits>", s)
	}
	b, err := hex.DecodeString(hx)
	if err != nil || len(b) != 32 {
		return h, fmt.Errorf("token hash %q: want sha256:<64 hex digits>", s)
	}
	copy(h[:], b)
	return h, nil
}

// caller is the authenticated holder of a request's token.
type caller struct {
	tok *Token
}

func (c *caller) admin() bool { return c.tok.Role == RoleAdmin }

// district is the district a leader is limited to, or "".
func (c *caller) district() string { return c.tok.District }

// mayTemplate reports whether the caller may submit and read the template.
func (c *caller) mayTemplate(t string) bool {
	return c.tok.Role != RoleUploader || slices.Contains(c.tok.Templates, t)
}

// authenticate finds the token presented, comparing its hash with every configured hash in
// constant time, without stopping at a match. It returns nil for an unknown token.
func (s *Server) authenticate(presented string) *Token {
	h := sha256.Sum256([]byte(presented))
	found := -1
	for i := range s.tokens {
		if subtle.ConstantTimeCompare(h[:], s.tokens[i].Hash[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return nil
	}
	return &s.tokens[found]
}

const callerKey = "qiancun.caller"

// allow answers 401 to a request without a valid bearer token and 403 to a caller whose
// role is not among roles; otherwise it records the caller for the handler.
func (s *Server) allow(roles ...Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.GetHeader("Authorization")
		scheme, tok, ok := strings.Cut(h, " ")
		if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			s.fail(c, errUnauthorized("a bearer token is required: Authorization: Bearer <token>"))
			c.Abort()
			return
		}
		t := s.authenticate(strings.TrimSpace(tok))
		if t == nil {
			s.fail(c, errUnauthorized("the token is not valid"))
			c.Abort()
			return
		}
		c.Set(callerKey, &caller{t})
		if !slices.Contains(roles, t.Role) {
			s.fail(c, errForbidden(fmt.Sprintf("the %s role may not use this route", t.Role)))
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
func withScope(ctx context.Context, cl *caller) context.Context {
	if cl.tok.Role != RoleUploader {
		return ctx
	}
	return context.WithValue(ctx, scopeKey{}, cl.tok.Templates)
}

// inScope reports whether ctx may write template.
func inScope(ctx context.Context, template string) bool {
	ts, ok := ctx.Value(scopeKey{}).([]string)
	return !ok || slices.Contains(ts, template)
}
