package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// SessionOptions say how long a page session lasts and what signs it.
type SessionOptions struct {
	// Key signs sessions, CSRF tokens and sign-in tickets (HMAC-SHA256); at least 32 bytes.
	// Every replica of a service must hold the same key; a session signed with it works on
	// any of them and after a restart.
	Key []byte
	// MaxAge is how long a session lasts from sign-in, however busy; default 12 h.
	MaxAge time.Duration
	// Idle ends a session not used for this long; default 30 min.
	Idle time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Sessions signs and checks page sessions. A session is wholly in its cookie (the token's
// hash, a random id, when it began and when it was last used), signed with HMAC-SHA256:
// there is no server-side store. Sessions is safe for concurrent use.
type Sessions struct {
	opt                 SessionOptions
	macKey, csrfKey, tk []byte
}

// MinKeyBytes is the shortest session key accepted.
const MinKeyBytes = 32

// NewSessions checks opt and returns the signer.
func NewSessions(opt SessionOptions) (*Sessions, error) {
	if len(opt.Key) < MinKeyBytes {
		return nil, fmt.Errorf("session key: %d bytes, want at least %d", len(opt.Key), MinKeyBytes)
	}
	if opt.MaxAge <= 0 {
		opt.MaxAge = 12 * time.Hour
	}
	if opt.Idle <= 0 {
		opt.Idle = 30 * time.Minute
	}
	if opt.Idle > opt.MaxAge {
		opt.Idle = opt.MaxAge
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	derive := func(label string) []byte {
		h := hmac.New(sha256.New, opt.Key)
		h.Write([]byte("qiancun " + label))
		return h.Sum(nil)
	}
	return &Sessions{opt: opt, macKey: derive("session"), csrfKey: derive("csrf"), tk: derive("ticket")}, nil
}

// MaxAge is how long a session lasts from sign-in.
func (s *Sessions) MaxAge() time.Duration { return s.opt.MaxAge }

// Session is one signed-in browser.
type Session struct {
	Hash   [32]byte // the token's SHA-256: the token itself is never in the cookie
	ID     [16]byte // random, keys the session's CSRF token
	Issued time.Time
	Seen   time.Time // last use, to the second
}

// Expires is when the session ends at the latest.
func (s *Sessions) Expires(sess Session) time.Time { return sess.Issued.Add(s.opt.MaxAge) }

// ErrSession is a session cookie that is forged, damaged or expired.
var ErrSession = errors.New("no valid session")

// New starts a session for the token with hash h.
func (s *Sessions) New(h [32]byte) (Session, error) {
	sess := Session{Hash: h}
	if _, err := rand.Read(sess.ID[:]); err != nil {
		return sess, fmt.Errorf("random session id: %w", err)
	}
	now := s.opt.Now().Truncate(time.Second)
	sess.Issued, sess.Seen = now, now
	return sess, nil
}

const sessionVersion = 1

// Encode signs sess into a cookie value.
func (s *Sessions) Encode(sess Session) string {
	b := make([]byte, 0, 1+32+16+16)
	b = append(b, sessionVersion)
	b = append(b, sess.Hash[:]...)
	b = append(b, sess.ID[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(sess.Issued.Unix()))
	b = binary.BigEndian.AppendUint64(b, uint64(sess.Seen.Unix()))
	return sign(s.macKey, b)
}

// Decode checks a cookie value: its signature, that it has not outlived MaxAge, and that it
// was used within Idle. Any failure is ErrSession (wrapped with the reason, for the logs).
func (s *Sessions) Decode(v string) (Session, error) {
	var sess Session
	b, ok := verify(s.macKey, v)
	if !ok || len(b) != 1+32+16+16 || b[0] != sessionVersion {
		return sess, fmt.Errorf("%w: bad signature or format", ErrSession)
	}
	copy(sess.Hash[:], b[1:33])
	copy(sess.ID[:], b[33:49])
	sess.Issued = time.Unix(int64(binary.BigEndian.Uint64(b[49:57])), 0)
	sess.Seen = time.Unix(int64(binary.BigEndian.Uint64(b[57:65])), 0)
	now := s.opt.Now()
	switch {
	case now.Before(sess.Issued.Add(-time.Minute)):
		return sess, fmt.Errorf("%w: issued in the future", ErrSession)
	case !now.Before(sess.Issued.Add(s.opt.MaxAge)):
		return sess, fmt.Errorf("%w: expired", ErrSession)
	case !now.Before(sess.Seen.Add(s.opt.Idle)):
		return sess, fmt.Errorf("%w: idle too long", ErrSession)
	}
	return sess, nil
}

// Touch records a use of sess now. It reports whether the cookie should be written again:
// when the last recorded use is older than a minute (or a tenth of Idle, if shorter), so
// that a busy page does not rewrite its cookie on every request.
func (s *Sessions) Touch(sess Session) (Session, bool) {
	now := s.opt.Now().Truncate(time.Second)
	step := min(time.Minute, s.opt.Idle/10)
	if now.Sub(sess.Seen) < step {
		return sess, false
	}
	sess.Seen = now
	return sess, true
}

// CSRF is the session's token for its forms: an HMAC of its id, so that it needs no store
// and a page of another site cannot know it.
func (s *Sessions) CSRF(sess Session) string {
	h := hmac.New(sha256.New, s.csrfKey)
	h.Write(sess.ID[:])
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// CheckCSRF reports whether token is sess's CSRF token, in constant time.
func (s *Sessions) CheckCSRF(sess Session, token string) bool {
	return hmac.Equal([]byte(s.CSRF(sess)), []byte(token))
}

// LoginCSRF is the token of the sign-in form, keyed by a random nonce held in a short-lived
// cookie (there is no session yet to key it by).
func (s *Sessions) LoginCSRF(nonce string) string {
	h := hmac.New(sha256.New, s.csrfKey)
	h.Write([]byte("login\x00" + nonce))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// Ticket is a one-time sign-in link's content: the token it signs in as, when the link
// expires, and a nonce that marks it spent.
type Ticket struct {
	Hash    [32]byte
	Expires time.Time
	Nonce   [16]byte
}

// NewTicket signs a ticket for the token with hash h, valid for ttl.
func (s *Sessions) NewTicket(h [32]byte, ttl time.Duration) (string, error) {
	t := Ticket{Hash: h, Expires: s.opt.Now().Add(ttl).Truncate(time.Second)}
	if _, err := rand.Read(t.Nonce[:]); err != nil {
		return "", fmt.Errorf("random ticket nonce: %w", err)
	}
	b := make([]byte, 0, 1+32+16+8)
	b = append(b, 't')
	b = append(b, t.Hash[:]...)
	b = append(b, t.Nonce[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(t.Expires.Unix()))
	return sign(s.tk, b), nil
}

// ErrTicket is a sign-in link that is forged, damaged, expired or already used.
var ErrTicket = errors.New("sign-in link not valid")

// ParseTicket checks a ticket's signature and expiry; whether it was used is the Ledger's
// business.
func (s *Sessions) ParseTicket(v string) (Ticket, error) {
	var t Ticket
	b, ok := verify(s.tk, v)
	if !ok || len(b) != 1+32+16+8 || b[0] != 't' {
		return t, fmt.Errorf("%w: bad signature or format", ErrTicket)
	}
	copy(t.Hash[:], b[1:33])
	copy(t.Nonce[:], b[33:49])
	t.Expires = time.Unix(int64(binary.BigEndian.Uint64(b[49:57])), 0)
	if !s.opt.Now().Before(t.Expires) {
		return t, fmt.Errorf("%w: expired", ErrTicket)
	}
	return t, nil
}

// Ledger remembers the tickets spent, until they expire, so that a sign-in link works once.
// It is in memory: with several replicas, or across a restart, a link could be used once
// per replica or once more before it expires; keep the links' lifetime short. Safe for
// concurrent use.
type Ledger struct {
	mu    sync.Mutex
	spent map[[16]byte]time.Time
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger { return &Ledger{spent: map[[16]byte]time.Time{}} }

// Spend marks t used and reports whether it was unused until now. now prunes expired ones.
func (l *Ledger) Spend(t Ticket, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for n, exp := range l.spent {
		if !now.Before(exp) {
			delete(l.spent, n)
		}
	}
	if _, used := l.spent[t.Nonce]; used {
		return false
	}
	l.spent[t.Nonce] = t.Expires
	return true
}

// sign returns base64url(b) "." base64url(HMAC(key, b)).
func sign(key, b []byte) string {
	h := hmac.New(sha256.New, key)
	h.Write(b)
	return base64.RawURLEncoding.EncodeToString(b) + "." + base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// verify checks a value made by sign and returns its content.
func verify(key []byte, v string) ([]byte, bool) {
	p, m, ok := strings.Cut(v, ".")
	if !ok || len(v) > 512 {
		return nil, false
	}
	b, err1 := base64.RawURLEncoding.DecodeString(p)
	mac, err2 := base64.RawURLEncoding.DecodeString(m)
	if err1 != nil || err2 != nil {
		return nil, false
	}
	h := hmac.New(sha256.New, key)
	h.Write(b)
	return b, hmac.Equal(mac, h.Sum(nil))
}
