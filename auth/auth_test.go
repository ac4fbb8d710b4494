package auth

import (
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"
)

// clock is a settable time for the tests.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestSessions(t *testing.T, c *clock) *Sessions {
	t.Helper()
	s, err := NewSessions(SessionOptions{Key: []byte(strings.Repeat("k", 32)), MaxAge: 8 * time.Hour, Idle: 30 * time.Minute, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSessionLifetime(t *testing.T) {
	t.Parallel()
	start := time.Date(2024, 6, 3, 9, 0, 0, 0, time.UTC)
	h := sha256.Sum256([]byte("tok"))
	tests := []struct {
		name  string
		steps []time.Duration // uses after sign-in, each touching the session
		at    time.Duration   // when it is presented last
		ok    bool
	}{
		{"fresh", nil, 0, true},
		{"used within the idle time", nil, 29 * time.Minute, true},
		{"idle too long", nil, 30 * time.Minute, false},
		{"kept alive by use past the idle time", []time.Duration{20 * time.Minute, 40 * time.Minute}, 65 * time.Minute, true},
		{"idle after the last use", []time.Duration{20 * time.Minute}, 51 * time.Minute, false},
		{"past the absolute age however busy", everyQuarter(7*time.Hour + 45*time.Minute), 8 * time.Hour, false},
		{"just before the absolute age", everyQuarter(7*time.Hour + 45*time.Minute), 7*time.Hour + 59*time.Minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &clock{start}
			s := newTestSessions(t, c)
			sess, err := s.New(h)
			if err != nil {
				t.Fatal(err)
			}
			cookie := s.Encode(sess)
			for _, d := range tt.steps {
				c.t = start.Add(d)
				got, err := s.Decode(cookie)
				if err != nil {
					t.Fatalf("at %v: %v", d, err)
				}
				if next, rewrite := s.Touch(got); rewrite {
					cookie = s.Encode(next)
				}
			}
			c.t = start.Add(tt.at)
			got, err := s.Decode(cookie)
			if (err == nil) != tt.ok {
				t.Fatalf("Decode at %v: %v, want ok %v", tt.at, err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrSession) {
				t.Errorf("error %v is not ErrSession", err)
			}
			if err == nil && got.Hash != h {
				t.Errorf("the session names another token")
			}
		})
	}
}

func everyQuarter(until time.Duration) []time.Duration {
	var out []time.Duration
	for d := 15 * time.Minute; d <= until; d += 15 * time.Minute {
		out = append(out, d)
	}
	return out
}

func TestSessionTampering(t *testing.T) {
	t.Parallel()
	c := &clock{time.Date(2024, 6, 3, 9, 0, 0, 0, time.UTC)}
	s := newTestSessions(t, c)
	sess, _ := s.New(sha256.Sum256([]byte("tok")))
	good := s.Encode(sess)
	other, _ := NewSessions(SessionOptions{Key: []byte(strings.Repeat("o", 32)), Now: c.now})
	payload, mac, _ := strings.Cut(good, ".")
	flip := func(v string, i int) string {
		b := []byte(v)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	for name, v := range map[string]string{
		"empty":                   "",
		"no signature":            payload,
		"payload changed":         flip(payload, 5) + "." + mac,
		"signature changed":       payload + "." + flip(mac, 3),
		"signed with another key": other.Encode(sess),
		"garbage":                 "%%%.%%%",
	} {
		if _, err := s.Decode(v); !errors.Is(err, ErrSession) {
			t.Errorf("%s: Decode = %v, want ErrSession", name, err)
		}
	}
	if _, err := s.Decode(good); err != nil {
		t.Errorf("the untouched cookie: %v", err)
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	c := &clock{time.Date(2024, 6, 3, 9, 0, 0, 0, time.UTC)}
	s := newTestSessions(t, c)
	a, _ := s.New(sha256.Sum256([]byte("a")))
	b, _ := s.New(sha256.Sum256([]byte("a"))) // same token, another browser
	if !s.CheckCSRF(a, s.CSRF(a)) {
		t.Error("a session's own token is refused")
	}
	for name, tok := range map[string]string{"another session's": s.CSRF(b), "empty": "", "the login form's": s.LoginCSRF("x")} {
		if s.CheckCSRF(a, tok) {
			t.Errorf("%s token is accepted", name)
		}
	}
	if s.LoginCSRF("n1") == s.LoginCSRF("n2") {
		t.Error("two sign-in forms share a token")
	}
}

func TestTickets(t *testing.T) {
	t.Parallel()
	c := &clock{time.Date(2024, 6, 3, 9, 0, 0, 0, time.UTC)}
	s := newTestSessions(t, c)
	h := sha256.Sum256([]byte("leader"))
	v, err := s.NewTicket(h, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// A session cookie is not a ticket, nor the other way round.
	sess, _ := s.New(h)
	if _, err := s.ParseTicket(s.Encode(sess)); !errors.Is(err, ErrTicket) {
		t.Errorf("a session cookie parses as a ticket: %v", err)
	}
	if _, err := s.Decode(v); !errors.Is(err, ErrSession) {
		t.Errorf("a ticket decodes as a session: %v", err)
	}
	tk, err := s.ParseTicket(v)
	if err != nil || tk.Hash != h {
		t.Fatalf("ParseTicket: %+v %v", tk, err)
	}
	l := NewLedger()
	if !l.Spend(tk, c.t) {
		t.Fatal("a fresh ticket is spent")
	}
	if l.Spend(tk, c.t.Add(time.Minute)) {
		t.Error("a ticket works twice")
	}
	c.t = c.t.Add(time.Hour)
	if _, err := s.ParseTicket(v); !errors.Is(err, ErrTicket) {
		t.Errorf("an expired ticket: %v", err)
	}
	// The ledger forgets expired tickets (they are refused by their expiry anyway).
	l.Spend(Ticket{Nonce: [16]byte{1}, Expires: c.t.Add(time.Hour)}, c.t)
	if len(l.spent) != 1 {
		t.Errorf("the ledger keeps %d tickets, want the unexpired one", len(l.spent))
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	h := func(s string) [32]byte { return sha256.Sum256([]byte(s)) }
	known := func(s string) bool { return s == "first_secretary" || s == "villages" }
	ts, err := NewTokens([]Token{
		{Name: "a", Role: RoleAdmin, Hash: h("a")},
		{Name: "u", Role: RoleUploader, Templates: []string{"first_secretary"}, Hash: h("u")},
		{Name: "l", Role: RoleLeader, District: "370112", Hash: h("l")},
	}, known)
	if err != nil {
		t.Fatal(err)
	}
	if got := ts.Authenticate("u"); got == nil || got.Name != "u" || !got.MayTemplate("first_secretary") || got.MayTemplate("villages") {
		t.Errorf("Authenticate(u) = %+v", got)
	}
	if ts.Authenticate("x") != nil || ts.ByHash(h("x")) != nil {
		t.Error("an unknown token is found")
	}
	if got := ts.Authenticate("a"); !got.Admin() || !got.MayTemplate("villages") {
		t.Errorf("admin: %+v", got)
	}
	for name, bad := range map[string][]Token{
		"twice":                   {{Name: "a", Role: RoleAdmin, Hash: h("a")}, {Name: "b", Role: RoleAdmin, Hash: h("a")}},
		"no hash":                 {{Name: "a", Role: RoleAdmin}},
		"unknown role":            {{Name: "a", Role: "boss", Hash: h("a")}},
		"uploader without scope":  {{Name: "a", Role: RoleUploader, Hash: h("a")}},
		"unknown template":        {{Name: "a", Role: RoleUploader, Templates: []string{"x"}, Hash: h("a")}},
		"district not Jinan's":    {{Name: "a", Role: RoleLeader, District: "110101", Hash: h("a")}},
		"evaluator with district": {{Name: "a", Role: RoleEvaluator, District: "370112", Hash: h("a")}},
	} {
		if _, err := NewTokens(bad, known); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
