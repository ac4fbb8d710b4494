package ingest

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// csvBook is a CSV file decoded to UTF-8: one sheet, named after the file.
type csvBook struct {
	name  string
	text  []byte
	comma rune
	lines int
	lim   Limits
}

func openCSV(name string, text []byte, lim Limits) *csvBook {
	if name == "" {
		name = "Sheet1"
	}
	lines := bytes.Count(text, []byte{'\n'})
	if len(text) > 0 && text[len(text)-1] != '\n' {
		lines++
	}
	return &csvBook{name: name, text: text, comma: sniffComma(text), lines: lines, lim: lim}
}

func (b *csvBook) Sheets() []SheetInfo {
	return []SheetInfo{{Name: b.name, Rows: b.lines}}
}

func (b *csvBook) Rows(sheet string) (Rows, error) {
	if sheet != b.name {
		return nil, fmt.Errorf("no sheet %q", sheet)
	}
	r := csv.NewReader(bytes.NewReader(b.text))
	r.Comma = b.comma
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	return &csvRows{r: r, sheet: sheet, lim: b.lim}, nil
}

func (b *csvBook) Close() error { return nil }

// csvRows iterates the records of a CSV. Num is the line on which a record starts, so a
// record after a quoted field spanning lines keeps the number an editor shows.
type csvRows struct {
	r     *csv.Reader
	sheet string
	lim   Limits
	cells []string
	num   int
	err   error
}

func (it *csvRows) Next() (ok bool) {
	if it.err != nil || it.r == nil {
		return false
	}
	defer func() {
		if p := recover(); p != nil {
			it.err, ok = fileErr(msgPanic, fmt.Errorf("csv panicked: %v", p)), false
		}
	}()
	for {
		rec, err := it.r.Read()
		if err == io.EOF {
			it.r = nil
			return false
		}
		if err != nil {
			it.err = fileErr(msgCorrupt, err)
			return false
		}
		rec = trimEmpty(rec)
		it.num, _ = it.r.FieldPos(0)
		if len(rec) == 0 {
			if it.num > it.lim.MaxRows { // blank lines count against the limit too
				it.err = checkRow(it.sheet, it.num, 0, it.lim)
				return false
			}
			continue
		}
		if err := checkRow(it.sheet, it.num, len(rec), it.lim); err != nil {
			it.err = err
			return false
		}
		it.cells = rec
		return true
	}
}

func (it *csvRows) Num() int        { return it.num }
func (it *csvRows) Cells() []string { return it.cells }
func (it *csvRows) Err() error      { return it.err }
func (it *csvRows) Close() error    { it.r = nil; return nil }

// Numeric reports whether cell j is a number in scientific notation (3.70114196709191E+17),
// as Excel writes a long number when it saves a sheet as CSV.
func (it *csvRows) Numeric(j int) bool {
	if j >= len(it.cells) {
		return false
	}
	_, ok := plainNumber(strings.TrimSpace(it.cells[j]))
	return ok
}

// trimEmpty drops the empty cells at the end of a row; a row of empty cells becomes empty.
func trimEmpty(cells []string) []string {
	n := len(cells)
	for n > 0 && cells[n-1] == "" {
		n--
	}
	return cells[:n]
}

// checkRow enforces the row and column limits on a non-blank row of a sheet.
func checkRow(sheet string, num, cols int, lim Limits) error {
	if num > lim.MaxRows {
		return fileErr(fmt.Sprintf(msgTooManyRows, sheet, lim.MaxRows), fmt.Errorf("row %d", num))
	}
	if cols > lim.MaxColumns {
		return fileErr(fmt.Sprintf(msgTooManyCols, sheet, num, lim.MaxColumns), fmt.Errorf("%d columns", cols))
	}
	return nil
}

// decodeText returns data as UTF-8 text, or false when it is not text. The encoding is
// found, not asked for: a UTF-8 BOM is dropped; a UTF-16 BOM selects UTF-16 (Excel's
// "Unicode text"); UTF-8 is taken as is, even with a few bytes that are not (a stray byte
// pasted in); anything else is GB18030, the superset of GBK that Excel and WPS on a Chinese
// Windows write. Bytes that do not decode become U+FFFD, which the validation reports at
// its cell (bad_encoding), so that one bad byte costs one cell, not the file.
func decodeText(data []byte) ([]byte, bool) {
	var enc encoding.Encoding
	switch {
	case bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")):
		data = data[3:]
		if !utf8.Valid(data) {
			data = bytes.ToValidUTF8(data, []byte("\uFFFD"))
		}
	case bytes.HasPrefix(data, []byte("\xFF\xFE")), bytes.HasPrefix(data, []byte("\xFE\xFF")):
		enc = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
	case utf8.Valid(data):
	case bytes.IndexByte(data, 0) >= 0:
		return nil, false
	case mostlyUTF8(data):
		data = bytes.ToValidUTF8(data, []byte("\uFFFD"))
	default:
		enc = simplifiedchinese.GB18030
	}
	if enc != nil {
		var err error
		if data, err = enc.NewDecoder().Bytes(data); err != nil {
			return nil, false
		}
	}
	return data, looksText(data)
}

// mostlyUTF8 reports whether data, which is not valid UTF-8, is UTF-8 text with a few stray
// bytes rather than GB18030: its multi-byte UTF-8 sequences outnumber its invalid bytes
// four to one. GBK text read as UTF-8 forms a valid sequence now and then (one pair of
// bytes in ten or so), never four for each invalid byte.
func mostlyUTF8(data []byte) bool {
	multi, bad := 0, 0
	for len(data) > 0 {
		if data[0] < utf8.RuneSelf {
			data = data[1:]
			continue
		}
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size == 1 {
			bad++
		} else {
			multi++
		}
		data = data[size:]
	}
	return multi >= 4*bad
}

// looksText reports whether the start of UTF-8 text reads as text: no NUL, and control
// characters or undecodable bytes at most one in a hundred. Random bytes fail it at once.
func looksText(text []byte) bool {
	sample := text[:min(len(text), 64<<10)]
	runes, bad := 0, 0
	for len(sample) > 0 {
		r, size := utf8.DecodeRune(sample)
		if size == 1 && r == utf8.RuneError && len(sample) < utf8.UTFMax && !utf8.FullRune(sample) {
			break // a character cut by the sample's end
		}
		sample = sample[size:]
		runes++
		switch {
		case r == 0:
			return false
		case r == utf8.RuneError, r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0x7F:
			bad++
		}
	}
	return bad*100 <= runes
}

// sniffComma picks the delimiter, among comma, tab and semicolon, that occurs outside
// quotes on the most of the first lines (then the most often); comma when none does.
func sniffComma(text []byte) rune {
	cands := []byte{',', '\t', ';'}
	var lines, counts [3]int
	var seen [3]bool
	quoted := false
	n := 0
	for i := 0; i < len(text) && i < 64<<10 && n < 20; i++ {
		c := text[i]
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\n':
			for k := range seen {
				if seen[k] {
					lines[k]++
				}
				seen[k] = false
			}
			n++
		default:
			for k, d := range cands {
				if c == d {
					counts[k]++
					seen[k] = true
				}
			}
		}
	}
	for k := range seen {
		if seen[k] {
			lines[k]++
		}
	}
	best := 0
	for k := 1; k < len(cands); k++ {
		if lines[k] > lines[best] || lines[k] == lines[best] && counts[k] > counts[best] {
			best = k
		}
	}
	if counts[best] == 0 {
		return ','
	}
	return rune(cands[best])
}
