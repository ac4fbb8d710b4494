package ingest

import (
	"bytes"
	"io"
	"strconv"
	"unicode/utf8"
)

// This file holds the byte-level pieces of the fast .xlsx reader (read_xlsx_fast.go): a
// window over a stream that grows to hold one element, attribute lookup, and text
// decoding that accepts only what encoding/xml would decode to the same string. Whatever
// falls outside (a CDATA section, a comment, a raw carriage return, an unknown entity, a
// character XML forbids) is reported as not understood, and the reader steps aside.

// window is a sliding buffer over a stream. buf[pos:end] is read and not yet consumed.
type window struct {
	r        io.Reader
	buf      []byte
	pos, end int
	eof      bool
	err      error // a read error other than io.EOF
	max      int   // the most the buffer may grow to
}

func newWindow(r io.Reader, size, max int) *window {
	return &window{r: r, buf: make([]byte, size), max: max}
}

// more reads more of the stream, keeping buf[pos:end] (moved to the start of buf). It
// reports whether it read anything; false at the end of the stream, on an error, or when
// the buffer would have to grow beyond max.
func (w *window) more() bool {
	if w.eof {
		return false
	}
	if w.pos > 0 {
		w.end = copy(w.buf, w.buf[w.pos:w.end])
		w.pos = 0
	}
	if w.end == len(w.buf) {
		if len(w.buf) >= w.max {
			return false
		}
		nb := make([]byte, min(2*len(w.buf), w.max))
		copy(nb, w.buf[:w.end])
		w.buf = nb
	}
	for range 100 {
		n, err := w.r.Read(w.buf[w.end:])
		w.end += n
		if err != nil {
			w.eof = true
			if err != io.EOF {
				w.err = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	w.eof, w.err = true, io.ErrNoProgress
	return false
}

// avail is the unconsumed input.
func (w *window) avail() []byte { return w.buf[w.pos:w.end] }

// isSpace is XML's white space.
func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// tagEnd returns the index in b of the '>' that closes the tag starting at b[0], skipping
// quoted attribute values, or -1 when b holds no end of the tag.
func tagEnd(b []byte) int {
	var quote byte
	for i := 1; i < len(b); i++ {
		c := b[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i
		case c == '<':
			return -2 // not well-formed
		}
	}
	return -1
}

// attrs walks the attributes of a start tag (the bytes after its name, before '>' or
// '/>'), calling fn with each name and raw value. It reports false when they are not
// well-formed.
func attrs(b []byte, fn func(name, val []byte) bool) bool {
	for i := 0; ; {
		name, val, next, st := nextAttr(b, i)
		switch {
		case st == attrsEnd:
			return true
		case st == attrsBad || !fn(name, val):
			return false
		}
		i = next
	}
}

// What nextAttr found.
const (
	attrsOne = iota // an attribute
	attrsEnd        // no more
	attrsBad        // attributes that are not well-formed
)

// nextAttr reads the attribute that starts at b[i], after white space, of the attributes b
// of a start tag (see attrs): its name, its raw value, and the index just past it.
func nextAttr(b []byte, i int) (name, val []byte, next, st int) {
	i = skipSpace(b, i)
	if i == len(b) {
		return nil, nil, i, attrsEnd
	}
	j := i
	for j < len(b) && b[j] != '=' && !isSpace(b[j]) {
		j++
	}
	name = b[i:j]
	j = skipSpace(b, j)
	if !xmlName(name) || j == len(b) || b[j] != '=' {
		return nil, nil, 0, attrsBad
	}
	j = skipSpace(b, j+1)
	if j == len(b) || (b[j] != '"' && b[j] != '\'') {
		return nil, nil, 0, attrsBad
	}
	k := bytes.IndexByte(b[j+1:], b[j])
	if k < 0 {
		return nil, nil, 0, attrsBad
	}
	val = b[j+1 : j+1+k]
	next = j + 1 + k + 1
	if next < len(b) && !isSpace(b[next]) || bytes.IndexByte(val, '<') >= 0 || bytes.IndexByte(val, '&') >= 0 {
		return nil, nil, 0, attrsBad // an entity in a value: no attribute this reader reads has one
	}
	return name, val, next, attrsOne
}

// xmlName reports whether b is a name encoding/xml takes, of ASCII letters, digits and
// punctuation (a name with other characters is refused: none of a spreadsheet's has one).
func xmlName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == ':':
		case i > 0 && (c >= '0' && c <= '9' || c == '.' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// wellFormed reports whether b, the content of an element whose text a reader leaves
// out (run properties, phonetic runs), is what encoding/xml parses without error:
// elements properly nested, with well-formed names and attributes, and text that
// appendText decodes. It is stricter than XML: a comment, a CDATA section or a
// processing instruction is refused too.
func wellFormed(b []byte) bool {
	var open [][]byte // the names of the elements open
	for i := 0; i < len(b); {
		k := bytes.IndexByte(b[i:], '<')
		if k < 0 {
			k = len(b) - i
		}
		if _, ok := appendText(nil, b[i:i+k]); !ok {
			return false
		}
		if i += k; i == len(b) {
			break
		}
		if i+1 < len(b) && b[i+1] == '/' {
			e := bytes.IndexByte(b[i:], '>')
			if e < 0 || len(open) == 0 || !bytes.Equal(b[i+2:i+e], open[len(open)-1]) {
				return false
			}
			open = open[:len(open)-1]
			i += e + 1
			continue
		}
		e := tagEnd(b[i:])
		if e < 0 {
			return false
		}
		tag := b[i+1 : i+e]
		empty := len(tag) > 0 && tag[len(tag)-1] == '/'
		if empty {
			tag = tag[:len(tag)-1]
		}
		n := 0
		for n < len(tag) && !isSpace(tag[n]) {
			n++
		}
		if !xmlName(tag[:n]) || !plainAttrs(tag[n:]) {
			return false
		}
		if !empty {
			open = append(open, tag[:n])
		}
		i += e + 1
	}
	return len(open) == 0
}

// tagAttr reads a start tag that is not yet read whole, from b[i] on, after its name or
// after an attribute: the next attribute (attrsOne, with its name, its raw value, and the
// index just past it), or the end of the tag (attrsEnd, next just past its '>', empty
// telling an empty-element tag). It is startTag and nextAttr in one pass. The error is
// errMore when b ends inside the tag, errMarkup when it is not well-formed.
func tagAttr(b []byte, i int) (name, val []byte, next, st int, empty bool, err error) {
	i = skipSpace(b, i)
	if i == len(b) {
		return nil, nil, 0, 0, false, errMore
	}
	switch b[i] {
	case '>':
		return nil, nil, i + 1, attrsEnd, false, nil
	case '/':
		switch {
		case i+1 == len(b):
			return nil, nil, 0, 0, false, errMore
		case b[i+1] != '>':
			return nil, nil, 0, 0, false, errMarkup
		}
		return nil, nil, i + 2, attrsEnd, true, nil
	}
	j := i
	for j < len(b) && b[j] != '=' && b[j] != '>' && b[j] != '/' && !isSpace(b[j]) {
		j++
	}
	name = b[i:j]
	j = skipSpace(b, j)
	if j == len(b) {
		return nil, nil, 0, 0, false, errMore
	}
	if !xmlName(name) || b[j] != '=' {
		return nil, nil, 0, 0, false, errMarkup
	}
	j = skipSpace(b, j+1)
	if j == len(b) {
		return nil, nil, 0, 0, false, errMore
	}
	q := b[j]
	if q != '"' && q != '\'' {
		return nil, nil, 0, 0, false, errMarkup
	}
	k := j + 1
	for ; k < len(b) && b[k] != q; k++ {
		if b[k] == '<' || b[k] == '&' {
			return nil, nil, 0, 0, false, errMarkup // see nextAttr
		}
	}
	if k+1 >= len(b) {
		return nil, nil, 0, 0, false, errMore
	}
	if c := b[k+1]; c != '>' && c != '/' && !isSpace(c) {
		return nil, nil, 0, 0, false, errMarkup
	}
	return name, b[j+1 : k], k + 1, attrsOne, false, nil
}

// startTag reads the start tag at b[0] of an element whose name is n bytes long with its
// '<' ("<row": 4): its attributes, the index of its '>', and whether it is an empty-element
// tag (<v/>). The error is errMore when b ends inside the tag, errMarkup when it is not
// well-formed.
func startTag(b []byte, n int) (attr []byte, end int, empty bool, err error) {
	e := tagEnd(b)
	switch {
	case e == -1:
		return nil, 0, false, errMore
	case e < 0:
		return nil, 0, false, errMarkup
	}
	if b[e-1] == '/' {
		return b[n : e-1], e, true, nil
	}
	return b[n:e], e, false, nil
}

// appendText decodes XML character data b onto dst. It reports false for anything whose
// decoding by encoding/xml it does not reproduce exactly: a raw carriage return (which
// encoding/xml turns into a line feed), an entity other than the five predefined and
// numeric character references, invalid UTF-8, a character XML forbids, or markup.
func appendText(dst, b []byte) ([]byte, bool) {
	dst, ok, _ := appendTextSeen(dst, b)
	return dst, ok
}

// appendTextSeen is appendText that also says whether the text may hold an _xHHHH_
// escape (a '_'), which only excelize decodes.
func appendTextSeen(dst, b []byte) (_ []byte, ok, escape bool) {
	// Most text is taken as it is: one pass over it classes its bytes.
	var seen uint8
	for _, c := range b {
		seen |= textClass[c]
	}
	switch {
	case seen&textSpecial != 0:
		dst, ok = appendTextSlow(dst, b)
		return dst, ok, true
	case seen&textEF != 0 && (bytes.Contains(b, nonChar1) || bytes.Contains(b, nonChar2)):
		return dst, false, false
	case seen&(textHigh|textEF) != 0 && !utf8.Valid(b):
		return dst, false, false
	}
	return append(dst, b...), true, seen&textUnderscore != 0
}

// The classes of textClass.
const (
	textHigh       = 1 << iota // a byte of a multi-byte UTF-8 character: valid or not, checked
	textEF                     // the lead byte of U+F000 to U+FFFF, U+FFFE and U+FFFF among them
	textSpecial                // '&', '<', a carriage return or another control character
	textUnderscore             // '_'
)

// textClass classes each byte for appendText.
var textClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c == 0xEF:
			t[c] = textEF
		case c >= 0x80:
			t[c] = textHigh
		case c == '&' || c == '<' || c == '\r' || c < 0x20 && c != '\n' && c != '\t':
			t[c] = textSpecial
		case c == '_':
			t[c] = textUnderscore
		}
	}
	return t
}()

// The characters U+FFFE and U+FFFF, which XML forbids, in UTF-8.
var nonChar1, nonChar2 = []byte("\xEF\xBF\xBE"), []byte("\xEF\xBF\xBF")

// appendTextSlow is appendText of text that holds an entity, or bytes it refuses.
func appendTextSlow(dst, b []byte) ([]byte, bool) {
	for len(b) > 0 {
		// the run of bytes that need nothing
		i := 0
		for i < len(b) {
			c := b[i]
			if c == '&' || c == '<' || c == '>' || c == '\r' || c >= 0x80 || (c < 0x20 && c != '\n' && c != '\t') {
				break
			}
			i++
		}
		dst = append(dst, b[:i]...)
		b = b[i:]
		if len(b) == 0 {
			break
		}
		c := b[0]
		switch {
		case c >= 0x80:
			r, n := utf8.DecodeRune(b)
			if r == utf8.RuneError && n <= 1 || !xmlChar(r) {
				return dst, false
			}
			dst = append(dst, b[:n]...)
			b = b[n:]
		case c == '>':
			dst = append(dst, '>')
			b = b[1:]
		case c == '&':
			semi := bytes.IndexByte(b, ';')
			if semi < 2 {
				return dst, false
			}
			ent := b[1:semi]
			switch string(ent) {
			case "lt":
				dst = append(dst, '<')
			case "gt":
				dst = append(dst, '>')
			case "amp":
				dst = append(dst, '&')
			case "apos":
				dst = append(dst, '\'')
			case "quot":
				dst = append(dst, '"')
			default:
				if ent[0] != '#' || len(ent) < 2 || len(ent) > 10 {
					return dst, false
				}
				var n uint64
				var err error
				if ent[1] == 'x' {
					n, err = strconv.ParseUint(string(ent[2:]), 16, 32)
				} else {
					n, err = strconv.ParseUint(string(ent[1:]), 10, 32)
				}
				if err != nil || n > utf8.MaxRune || !xmlChar(rune(n)) {
					return dst, false
				}
				dst = utf8.AppendRune(dst, rune(n))
			}
			b = b[semi+1:]
		default:
			return dst, false
		}
	}
	return dst, true
}

// xmlChar reports whether r is a character XML 1.0 allows (encoding/xml refuses the rest).
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// hasTag reports whether b starts with the tag name ("<v", "</c") followed by the end of
// the name.
func hasTag(b []byte, name string) bool {
	if len(b) <= len(name) || string(b[:len(name)]) != name {
		return false
	}
	c := b[len(name)]
	return c == '>' || c == '/' || isSpace(c)
}

// skipSpace returns the index of the first byte of b at or after i that is not white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// element finds the element that starts at b[0]: it returns the bytes
// of its attributes, its content (nil for an empty-element tag), and the index just past
// it, or next < 0 when b does not hold all of it or it is not well-formed (-2).
//
// closing is the element's end tag, "</" + name + ">".
func element(b []byte, closing string) (attr, content []byte, next int) {
	e := tagEnd(b)
	if e < 0 {
		return nil, nil, e
	}
	n := len(closing) - 2 // '<' and the name
	if b[e-1] == '/' {
		return b[n : e-1], nil, e + 1
	}
	k := bytes.Index(b[e+1:], []byte(closing))
	if k < 0 {
		return nil, nil, -1
	}
	return b[n:e], b[e+1 : e+1+k], e + 1 + k + len(closing)
}
