package ingest

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"
)

// attrRow gathers the columns of a row that go to Fact.Attrs, and writes them as the JSON
// object the store keeps: what encoding/json makes of a map[string]string of them, byte for
// byte (keys sorted, the same escaping), without a map per row and without reflection.
type attrRow struct {
	at   []int    // per template column: its place in the object, or -1
	keys []string // per place: the key as JSON, and its colon
	vals []string // per place: the current row's value
	has  []bool   // per place: the current row has it
}

// attrSlabBytes is the size of the slabs the rows' JSON is cut from.
const attrSlabBytes = 64 << 10

// newAttrRow places the columns of t that may become attrs, in the order of their headers.
func newAttrRow(t *Template) attrRow {
	var cols []int
	for i, c := range t.Columns {
		if !c.Numeric() && c.Role != RoleVillages && c.Role != RoleTown && c.Role != RoleName && c.Role != RoleKey {
			cols = append(cols, i)
		}
	}
	// encoding/json sorts a map's keys as strings, byte by byte.
	slices.SortStableFunc(cols, func(a, b int) int { return strings.Compare(t.Columns[a].Header, t.Columns[b].Header) })
	a := attrRow{at: make([]int, len(t.Columns))}
	for i := range a.at {
		a.at[i] = -1
	}
	for k, i := range cols {
		h := t.Columns[i].Header
		if k > 0 && h == t.Columns[cols[k-1]].Header {
			// Two columns of one header (checkTemplate forbids it) share a key, the later
			// value winning, as in a map.
			a.at[i] = a.at[cols[k-1]]
			continue
		}
		a.at[i] = len(a.keys)
		a.keys = append(a.keys, string(appendJSONString(nil, h))+":")
	}
	a.vals, a.has = make([]string, len(a.keys)), make([]bool, len(a.keys))
	return a
}

// reset forgets the previous row.
func (a *attrRow) reset() { clear(a.has) }

// set gives template column i the value s in this row.
func (a *attrRow) set(i int, s string) {
	k := a.at[i]
	a.vals[k], a.has[k] = s, true
}

// json returns the row's attrs as a JSON object cut from *slab (a new slab when it is full),
// or nil when the row has none.
func (a *attrRow) json(slab *[]byte) json.RawMessage {
	// The most the object can take: each byte of a value escapes to at most 6.
	need := 2
	for k, ok := range a.has {
		if ok {
			need += len(a.keys[k]) + 2 + 6*len(a.vals[k]) + 1
		}
	}
	if need == 2 {
		return nil
	}
	b := *slab
	if cap(b)-len(b) < need {
		b = make([]byte, 0, max(need, attrSlabBytes))
	}
	start := len(b)
	b = append(b, '{')
	for k, ok := range a.has {
		if !ok {
			continue
		}
		if len(b) > start+1 {
			b = append(b, ',')
		}
		b = append(b, a.keys[k]...)
		b = appendJSONString(b, a.vals[k])
	}
	b = append(b, '}')
	*slab = b
	return json.RawMessage(b[start:len(b):len(b)])
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaped as encoding/json.Marshal escapes a
// string (HTML-safe): ", \ and control characters; <, > and &; U+2028 and U+2029; each
// byte of invalid UTF-8 as \ufffd.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= ' ' && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		// A CJK ideograph (lead byte E4-E9, two continuation bytes) goes as it is.
		if c := s[i]; 0xE4 <= c && c <= 0xE9 && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
			i += 3
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
