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
	i := 0
	for {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i == len(b) {
			return true
		}
		j := i
		for j < len(b) && b[j] != '=' && !isSpace(b[j]) {
			j++
		}
		name := b[i:j]
		for j < len(b) && isSpace(b[j]) {
			j++
		}
		if len(name) == 0 || j == len(b) || b[j] != '=' {
			return false
		}
		j++
		for j < len(b) && isSpace(b[j]) {
			j++
		}
		if j == len(b) || (b[j] != '"' && b[j] != '\'') {
			return false
		}
		q := b[j]
		k := bytes.IndexByte(b[j+1:], q)
		if k < 0 {
			return false
		}
		if !fn(name, b[j+1:j+1+k]) {
			return false
		}
		i = j + 1 + k + 1
		if i < len(b) && !isSpace(b[i]) {
			return false
		}
	}
}

// appendText decodes XML character data b onto dst. It reports false for anything whose
// decoding by encoding/xml it does not reproduce exactly: a raw carriage return (which
// encoding/xml turns into a line feed), an entity other than the five predefined and
// numeric character references, invalid UTF-8, a character XML forbids, or markup.
func appendText(dst, b []byte) ([]byte, bool) {
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
