// Package auth owns who may do what: the bearer tokens and their five roles with their
// scopes (a leader's district, an uploader's templates), and the signed sessions and CSRF
// tokens of the pages. The API (api/) and the pages (web/) both use it, so that a role means
// the same on either. It keeps no state but what it is given: tokens come from the
// configuration as hashes, and a session lives in its signed cookie only.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/qiancun/qiancun"
)

// Role is what a token may do.
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

// Label is the role's Chinese name, for the pages.
func (r Role) Label() string {
	switch r {
	case RoleAdmin:
		return "管理员"
	case RoleUploader:
		return "报送员"
	case RoleEvaluator:
		return "考核人员"
	case RoleLeader:
		return "领导"
	case RoleMonitor:
		return "监控"
	}
	return string(r)
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

// Admin reports whether t is an administrator's: the only role that sees keys unmasked.
func (t *Token) Admin() bool { return t.Role == RoleAdmin }

// MayTemplate reports whether t may submit and read template: every role but an uploader
// may; an uploader only its department's.
func (t *Token) MayTemplate(template string) bool {
	return t.Role != RoleUploader || slices.Contains(t.Templates, template)
}

// Is reports whether t's role is one of roles.
func (t *Token) Is(roles ...Role) bool { return slices.Contains(roles, t.Role) }

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

// Tokens is the set of tokens a server accepts. It is read-only once made, and safe for
// concurrent use.
type Tokens struct {
	list []Token
}

// NewTokens checks every token (known tells whether a template exists) and refuses a hash
// declared twice.
func NewTokens(ts []Token, known func(template string) bool) (*Tokens, error) {
	seen := map[[32]byte]bool{}
	for i := range ts {
		t := &ts[i]
		if err := t.Check(known); err != nil {
			return nil, err
		}
		if seen[t.Hash] {
			return nil, fmt.Errorf("token %q: the same hash is declared twice", t.Name)
		}
		seen[t.Hash] = true
	}
	return &Tokens{list: slices.Clone(ts)}, nil
}

// Len is the number of tokens.
func (s *Tokens) Len() int { return len(s.list) }

// Authenticate finds the token presented, comparing its hash with every configured hash in
// constant time, without stopping at a match. It returns nil for an unknown token.
func (s *Tokens) Authenticate(presented string) *Token {
	return s.ByHash(sha256.Sum256([]byte(presented)))
}

// ByHash finds the token with hash h (in constant time, as Authenticate), or nil. A session
// names its token by hash, so that a token removed from the configuration ends its
// sessions.
func (s *Tokens) ByHash(h [32]byte) *Token {
	found := -1
	for i := range s.list {
		if subtle.ConstantTimeCompare(h[:], s.list[i].Hash[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return nil
	}
	return &s.list[found]
}
