package ingest

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strconv"
	"strings"
)

// The fast .xlsx reader reads a sheet's XML straight from its zip entry with a byte-level
// scanner, one <row> element at a time, instead of through encoding/xml as excelize does.
// It reads the same cells, the same way: the shared strings (rich-text runs joined,
// phonetic runs left out), inline strings, cached formula values, and the cell types n, s,
// str, inlineStr, b, e and d, as raw values. It also reads styles.xml, so that it knows
// which numbers carry a date format (cellKind).
//
// Whatever it does not understand, it does not guess: it steps aside and the excelize
// reader (read_xlsx.go) takes the file, or, when rows were already given, the rest of the
// sheet, from the row after the last one given. The differential tests hold the two
// readers to the same cells.

// A cellKind is what a cell holds, by its type attribute and, for a number, its format.
type cellKind uint8

const (
	kindEmpty      cellKind = iota
	kindNumber              // t="n" or no type
	kindDate                // a number whose style has a date or time format
	kindShared              // t="s"
	kindInline              // t="inlineStr"
	kindFormulaStr          // t="str": a formula's text result
	kindBool                // t="b"
	kindError               // t="e"
	kindISODate             // t="d": an ISO 8601 date as text
)

// Numeric reports whether the cell was stored as a number (a date serial included), not
// as text: a 身份证号 stored as a number has lost its last digits.
func (k cellKind) Numeric() bool { return k == kindNumber || k == kindDate }

// declined is why the fast reader stepped aside.
type declined struct{ reason string }

func (d *declined) Error() string { return "fast xlsx reader declined: " + d.reason }

func decline(format string, a ...any) error { return &declined{fmt.Sprintf(format, a...)} }

const (
	maxRowXML   = 64 << 20 // the largest <row> element the fast reader holds; a larger one goes to excelize
	sheetWindow = 256 << 10
	maxExcelRow = 1 << 20 // excelize's TotalRows
	maxExcelCol = 16384
	partsXMLMax = 64 << 20 // workbook, rels and styles: a larger one goes to excelize
)

// fastBook is an .xlsx read by the fast reader. It keeps the zip's directory, the shared
// strings and the date styles; the sheets are read when iterated.
type fastBook struct {
	src    Source // the file, for excelize should the fast reader step aside
	lim    Limits
	log    *slog.Logger
	sheets []SheetInfo
	parts  map[string]*zip.File // by sheet name
	// the shared strings: sst[i] is string i; sstSlow[i] says excelize must decode it
	// (it holds an _xHHHH_ escape)
	sst     []string
	sstSlow []bool
	dates   []bool // by cellXfs index: the number format is a date or time
	slow    *xlsxBook
}

// openFastXLSX opens with the fast reader the .xlsx read from src, or returns a *declined
// when excelize should read it instead. It checks the package (zip.go): its parts'
// declared sizes, and every part kept but the worksheets inflated once, to nowhere. A
// worksheet is checked as it is read (fastRows). lim must have its defaults filled in.
func openFastXLSX(src Source, lim Limits, log *slog.Logger) (*fastBook, error) {
	zr, err := zip.NewReader(src, src.Size())
	if err != nil {
		return nil, fileErr(msgCorrupt, err)
	}
	kept, _, err := packageParts(zr, lim)
	if err != nil {
		return nil, err
	}
	for _, zf := range kept {
		if kindOf(zf.Name) != partSheet {
			if err := verifyPart(zf, lim); err != nil {
				return nil, err
			}
		}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &fastBook{src: src, lim: lim, log: log, parts: map[string]*zip.File{}}
	files := map[string]*zip.File{}
	for _, zf := range kept {
		name := strings.ToLower(zf.Name)
		if _, dup := files[name]; dup || strings.Contains(zf.Name, `\`) {
			return nil, decline("part name %q twice or with a backslash", zf.Name)
		}
		files[name] = zf
		if zf.Flags&1 != 0 {
			return nil, decline("part %q encrypted", zf.Name)
		}
	}
	part := func(name string) *zip.File {
		zf := files[strings.ToLower(name)]
		if zf != nil && zf.Name != name {
			return nil // excelize finds parts by their exact name (but for two); so must we
		}
		return zf
	}

	// The package relationships name the workbook.
	var rels xRels
	if err := readXMLPart(part("_rels/.rels"), &rels); err != nil {
		return nil, err
	}
	wbPath := ""
	for _, r := range rels.Rels {
		if strings.HasSuffix(r.Type, "/officeDocument") {
			wbPath = strings.TrimPrefix(r.Target, "/")
		}
	}
	if wbPath != "xl/workbook.xml" {
		return nil, decline("workbook at %q", wbPath)
	}
	var wb xWorkbook
	if err := readXMLPart(part(wbPath), &wb); err != nil {
		return nil, err
	}
	if wb.XMLName.Space != nsMain {
		return nil, decline("workbook namespace %q", wb.XMLName.Space)
	}
	var wbRels xRels
	if err := readXMLPart(part("xl/_rels/workbook.xml.rels"), &wbRels); err != nil {
		return nil, err
	}
	targets := map[string]string{}
	for _, r := range wbRels.Rels {
		targets[r.ID] = r.Target
		if strings.HasSuffix(r.Type, "/sharedStrings") && strings.TrimPrefix(r.Target, "/xl/") != "sharedStrings.xml" && r.Target != "sharedStrings.xml" {
			return nil, decline("shared strings at %q", r.Target)
		}
	}
	if len(wb.Sheets) == 0 {
		return nil, decline("no sheets")
	}
	seen := map[string]bool{}
	for _, s := range wb.Sheets {
		low := strings.ToLower(s.Name)
		if seen[low] || s.Name == "" {
			return nil, decline("sheet name %q twice", s.Name)
		}
		seen[low] = true
		t, ok := targets[s.RID]
		if !ok {
			return nil, decline("sheet %q has no part", s.Name)
		}
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = "xl/" + t
		}
		if path.Clean(t) != t || !strings.HasPrefix(t, "xl/worksheets/") {
			return nil, decline("sheet %q at %q", s.Name, t)
		}
		zf := part(t)
		if zf == nil {
			return nil, decline("sheet %q: no part %q", s.Name, t)
		}
		b.parts[s.Name] = zf
		hidden := s.State != "" && s.State != "visible"
		b.sheets = append(b.sheets, SheetInfo{Name: s.Name, Hidden: hidden})
	}
	if zf := part("xl/styles.xml"); zf != nil {
		if b.dates, err = readStyles(zf); err != nil {
			return nil, err
		}
	}
	if zf := part("xl/sharedStrings.xml"); zf != nil {
		if err := b.readSST(zf); err != nil {
			return nil, err
		}
	}
	for i := range b.sheets {
		rows, err := b.dimension(b.parts[b.sheets[i].Name])
		if err != nil {
			return nil, err
		}
		b.sheets[i].Rows = rows
	}
	return b, nil
}

const nsMain = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

type xRels struct {
	Rels []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
	} `xml:"Relationship"`
}

type xWorkbook struct {
	XMLName xml.Name `xml:"workbook"`
	Sheets  []struct {
		Name  string `xml:"name,attr"`
		State string `xml:"state,attr"`
		RID   string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
	} `xml:"sheets>sheet"`
}

type xStyles struct {
	NumFmts []struct {
		ID   int    `xml:"numFmtId,attr"`
		Code string `xml:"formatCode,attr"`
	} `xml:"numFmts>numFmt"`
	Xfs []struct {
		NumFmtID int `xml:"numFmtId,attr"`
	} `xml:"cellXfs>xf"`
}

// readXMLPart decodes a small part (the workbook, relationships, styles) with encoding/xml.
func readXMLPart(zf *zip.File, v any) error {
	if zf == nil {
		return decline("a part is missing")
	}
	if zf.UncompressedSize64 > partsXMLMax {
		return decline("part %s: %d bytes", zf.Name, zf.UncompressedSize64)
	}
	rc, err := zf.Open()
	if err != nil {
		return decline("part %s: %v", zf.Name, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return decline("part %s: %v", zf.Name, err)
	}
	if !utf8Decl(data) {
		return decline("part %s: not UTF-8", zf.Name)
	}
	if err := xml.Unmarshal(data, v); err != nil {
		return decline("part %s: %v", zf.Name, err)
	}
	return nil
}

// utf8Decl reports whether an XML document is UTF-8: no byte order mark of UTF-16, and no
// declared encoding but UTF-8.
func utf8Decl(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if len(data) > 0 && data[0] != '<' && !isSpace(data[0]) {
		return false
	}
	if !bytes.HasPrefix(data, []byte("<?xml")) {
		return true
	}
	end := bytes.Index(data, []byte("?>"))
	if end < 0 {
		return false
	}
	decl := data[:end]
	i := bytes.Index(decl, []byte("encoding="))
	if i < 0 {
		return true
	}
	enc := strings.Trim(string(decl[i+len("encoding="):]), " \"'")
	if j := strings.IndexAny(enc, " \"'"); j >= 0 {
		enc = enc[:j]
	}
	return strings.EqualFold(enc, "utf-8")
}

// readStyles returns, for each cell format of styles.xml, whether its number format is a
// date or time.
func readStyles(zf *zip.File) ([]bool, error) {
	var st xStyles
	if err := readXMLPart(zf, &st); err != nil {
		return nil, err
	}
	custom := map[int]string{}
	for _, f := range st.NumFmts {
		custom[f.ID] = f.Code
	}
	dates := make([]bool, len(st.Xfs))
	for i, xf := range st.Xfs {
		if code, ok := custom[xf.NumFmtID]; ok {
			dates[i] = dateFormat(code)
		} else {
			dates[i] = builtinDate(xf.NumFmtID)
		}
	}
	return dates, nil
}

// builtinDate reports whether a built-in number format (ECMA-376 §18.8.30, with the
// formats Excel uses for zh-CN) is a date or time.
func builtinDate(id int) bool {
	return id >= 14 && id <= 22 || id >= 27 && id <= 36 || id >= 45 && id <= 47 || id >= 50 && id <= 58
}

// dateFormat reports whether a custom number format code formats a date or time: its
// first section has a year, month, day, hour, minute or second token outside quoted text,
// escaped characters and brackets (but for elapsed time: [h], [mm], [ss]).
func dateFormat(code string) bool {
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case ';':
			return false
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				return false
			}
			i += j + 1
		case '\\', '_', '*':
			i++ // an escaped character, a space the width of one, a fill character
		case '[':
			j := strings.IndexByte(code[i+1:], ']')
			if j < 0 {
				return false
			}
			in := strings.ToLower(code[i+1 : i+1+j])
			if in != "" && strings.Trim(in, "hms") == "" {
				return true
			}
			i += j + 1
		default:
			switch c | 0x20 {
			case 'y', 'm', 'd', 'h', 's':
				return true
			}
		}
	}
	return false
}

// readSST reads the shared strings with the byte scanner: each <si> is its <t>, or its
// rich-text runs' <t> joined; phonetic runs (<rPh>) are not part of the text.
func (b *fastBook) readSST(zf *zip.File) error {
	rc, err := zf.Open()
	if err != nil {
		return decline("shared strings: %v", err)
	}
	defer rc.Close()
	w := newWindow(rc, 64<<10, maxRowXML)
	if err := skipTo(w, "<sst"); err != nil {
		return err
	}
	if e := tagEnd(w.avail()); e < 0 {
		return decline("shared strings: <sst> tag")
	} else if w.avail()[e-1] == '/' {
		return nil
	} else {
		w.pos += e + 1
	}
	var arena []byte
	var ends []int
	for {
		av := w.avail()
		i := skipSpace(av, 0)
		if len(av)-i < len("</sst>") {
			if w.more() {
				continue
			}
			if w.err != nil {
				return decline("shared strings: %v", w.err)
			}
			return decline("shared strings: cut short")
		}
		av = av[i:]
		if bytes.HasPrefix(av, []byte("</sst>")) {
			break
		}
		if !hasTag(av, "<si") {
			return decline("shared strings: unexpected %s", clip(av))
		}
		a, content, next := element(av, "</si>")
		if next == -1 {
			if w.more() {
				continue
			}
			return decline("shared strings: <si> too long or cut short")
		}
		if next < 0 || !plainAttrs(a) {
			return decline("shared strings: <si> not well-formed")
		}
		var ok bool
		if arena, ok = appendRich(arena, content); !ok {
			return decline("shared strings: string %d not understood", len(ends))
		}
		ends = append(ends, len(arena))
		w.pos += i + next
	}
	// Read to the end, so that the zip checks the part's checksum.
	if w.err == nil && !w.eof {
		if _, err := io.Copy(io.Discard, rc); err != nil {
			return decline("shared strings: %v", err)
		}
	}
	if w.err != nil {
		return decline("shared strings: %v", w.err)
	}
	all := string(arena)
	b.sst = make([]string, len(ends))
	b.sstSlow = make([]bool, len(ends))
	start := 0
	for i, e := range ends {
		b.sst[i] = all[start:e]
		b.sstSlow[i] = strings.Contains(b.sst[i], "_x")
		start = e
	}
	return nil
}

// skipTo consumes the stream up to the first occurrence of tag ("<sst"), which must be
// followed by the end of the name.
func skipTo(w *window, tag string) error {
	for {
		av := w.avail()
		if k := bytes.Index(av, []byte(tag)); k >= 0 && k+len(tag) < len(av) {
			if hasTag(av[k:], tag) {
				w.pos += k
				if tagEnd(w.avail()) > 0 {
					return nil
				}
				if !w.more() {
					return decline("%s: cut short", tag)
				}
				continue
			}
			w.pos += k + 1
			continue
		}
		// keep a tail that may hold the start of the tag
		if keep := len(tag); len(av) > keep {
			w.pos += len(av) - keep
		}
		if !w.more() {
			if w.err != nil {
				return decline("%s: %v", tag, w.err)
			}
			return decline("no %s", tag)
		}
	}
}

// appendRich appends the text of a string item (<si>, <is>): its <t>, or the <t> of each
// run <r>, with phonetic runs and properties left out. It reports false for anything else.
func appendRich(dst, b []byte) ([]byte, bool) {
	i := 0
	nt, runs := 0, 0
	for {
		i = skipSpace(b, i)
		if i == len(b) {
			return dst, true
		}
		switch {
		case hasTag(b[i:], "<t"):
			if nt++; nt > 1 || runs > 0 {
				return dst, false // excelize keeps only the last <t>, and puts it before the runs
			}
			var ok bool
			if dst, i, ok = appendT(dst, b, i); !ok {
				return dst, false
			}
		case hasTag(b[i:], "<r"):
			runs++
			a, run, next := element(b[i:], "</r>")
			if next < 0 || !plainAttrs(a) {
				return dst, false
			}
			j, ts := 0, 0
			for {
				j = skipSpace(run, j)
				if j == len(run) {
					break
				}
				switch {
				case hasTag(run[j:], "<rPr"):
					n, ok := skipElement(run[j:], "</rPr>")
					if !ok {
						return dst, false
					}
					j += n
				case hasTag(run[j:], "<t"):
					if ts++; ts > 1 {
						return dst, false
					}
					var ok bool
					if dst, j, ok = appendT(dst, run, j); !ok {
						return dst, false
					}
				default:
					return dst, false
				}
			}
			i += next
		case hasTag(b[i:], "<rPh"):
			next, ok := skipElement(b[i:], "</rPh>")
			if !ok {
				return dst, false
			}
			i += next
		case hasTag(b[i:], "<phoneticPr"):
			next, ok := skipElement(b[i:], "</phoneticPr>")
			if !ok {
				return dst, false
			}
			i += next
		default:
			return dst, false
		}
	}
}

// skipElement passes over the element at b[0], whose end tag is closing, when it is
// well-formed (see wellFormed), and returns the index just past it.
func skipElement(b []byte, closing string) (int, bool) {
	a, content, next := element(b, closing)
	return next, next >= 0 && plainAttrs(a) && wellFormed(content)
}

// appendT appends the decoded text of the <t> element at b[i:] and returns the index past it.
func appendT(dst, b []byte, i int) ([]byte, int, bool) {
	a, e, empty, err := startTag(b[i:], len("<t"))
	if err != nil || !plainAttrs(a) {
		return dst, 0, false
	}
	if empty {
		return dst, i + e + 1, true
	}
	text, next, err := textUntil(b[i:], e+1, "</t>")
	if err != nil {
		return dst, 0, false
	}
	dst, ok := appendText(dst, text)
	return dst, i + next, ok
}

// plainInline reads the content of an <is> element, from b[i] on, when it is one <t> and
// nothing else, as most writers write an inline string: the text of the <t>, not yet
// decoded, and the index just past </is>. It reports false for anything else, and when b
// ends first: appendRich reads those.
func plainInline(b []byte, i int) (text []byte, next int, ok bool) {
	i = skipSpace(b, i)
	if len(b)-i <= len("<t") || !hasTag(b[i:], "<t") {
		return nil, 0, false
	}
	a, e, empty, err := startTag(b[i:], len("<t"))
	if err != nil || !plainAttrs(a) {
		return nil, 0, false
	}
	next = i + e + 1
	if !empty {
		t, n, err := textUntil(b[i:], e+1, "</t>")
		if err != nil {
			return nil, 0, false
		}
		text, next = t, i+n
	}
	next = skipSpace(b, next)
	if len(b)-next < len(endIS) || !bytes.Equal(b[next:next+len(endIS)], endIS) {
		return nil, 0, false
	}
	return text, next + len(endIS), true
}

// plainAttrs reports whether a tag's attributes are well-formed.
func plainAttrs(a []byte) bool {
	return attrs(a, func(_, _ []byte) bool { return true })
}

// dimension reads the last row of the sheet's <dimension ref> from the start of the part,
// as excelize's GetSheetDimension does: 0 when there is none or it is a single cell.
func (b *fastBook) dimension(zf *zip.File) (int, error) {
	rc, err := zf.Open()
	if err != nil {
		return 0, decline("sheet %s: %v", zf.Name, err)
	}
	defer rc.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(rc, head)
	head = head[:n]
	k := bytes.Index(head, []byte("<dimension"))
	if k < 0 {
		return 0, nil
	}
	if s := bytes.Index(head, []byte("<sheetData")); s >= 0 && s < k {
		return 0, nil
	}
	e := tagEnd(head[k:])
	if e < 0 {
		return 0, nil
	}
	var ref []byte
	attrs(bytes.TrimSuffix(head[k+len("<dimension"):k+e], []byte("/")), func(name, val []byte) bool {
		if string(name) == "ref" {
			ref = val
		}
		return true
	})
	i := bytes.LastIndexByte(ref, ':')
	if i < 0 {
		return 0, nil
	}
	_, row, ok := parseRef(bytes.ReplaceAll(ref[i+1:], []byte("$"), nil))
	if !ok {
		return 0, nil
	}
	return row, nil
}

// parseRef reads a cell reference such as "AB12": column and row, 1-based.
func parseRef(r []byte) (col, row int, ok bool) {
	i := 0
	for i < len(r) && r[i] >= 'A' && r[i] <= 'Z' {
		col = col*26 + int(r[i]-'A'+1)
		if i++; i > 3 {
			return 0, 0, false
		}
	}
	if i == 0 || i == len(r) || r[i] == '0' || len(r)-i > 7 {
		return 0, 0, false
	}
	for _, c := range r[i:] {
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		row = row*10 + int(c-'0')
	}
	return col, row, col <= maxExcelCol
}

func (b *fastBook) Sheets() []SheetInfo { return b.sheets }

func (b *fastBook) Rows(sheet string) (Rows, error) {
	zf := b.parts[sheet]
	if zf == nil {
		return nil, fmt.Errorf("no sheet %q", sheet)
	}
	if b.slow != nil {
		return b.slow.Rows(sheet)
	}
	rc, err := zf.Open()
	if err != nil {
		return b.stepAside(sheet, 0, decline("sheet %s: %v", zf.Name, err))
	}
	it := &fastRows{b: b, sheet: sheet, rc: rc, w: newWindow(rc, sheetWindow, maxRowXML)}
	if err := skipTo(it.w, "<sheetData"); err != nil {
		rc.Close()
		if it.w.err != nil { // the part does not inflate, or fails its checksum
			return nil, fileErr(msgCorrupt, fmt.Errorf("sheet %q: %w", sheet, it.w.err))
		}
		return b.stepAside(sheet, 0, err)
	}
	av := it.w.avail()
	e := tagEnd(av)
	it.ended = av[e-1] == '/'
	it.w.pos += e + 1
	return it, nil
}

// stepAside hands the sheet to excelize, from the row after row last.
func (b *fastBook) stepAside(sheet string, last int, why error) (Rows, error) {
	var d *declined
	if !errors.As(why, &d) {
		return nil, why
	}
	b.log.LogAttrs(context.Background(), slog.LevelDebug, "fast xlsx reader steps aside",
		slog.String("sheet", sheet), slog.Int("after_row", last), slog.String("reason", d.reason))
	if b.slow == nil {
		bk, err := openSlowXLSX(b.src, b.lim)
		if err != nil {
			return nil, err
		}
		b.slow = bk.(*xlsxBook)
	}
	it, err := b.slow.Rows(sheet)
	if err != nil || last == 0 {
		return it, err
	}
	return &skipRows{Rows: it, after: last}, nil
}

func (b *fastBook) Close() error {
	if b.slow != nil {
		return b.slow.Close()
	}
	return nil
}

// skipRows passes over the rows up to and including row after.
type skipRows struct {
	Rows
	after int
}

func (s *skipRows) Next() bool {
	for s.Rows.Next() {
		if s.Rows.Num() > s.after {
			return true
		}
	}
	return false
}

// fastRows iterates a sheet with the byte scanner.
type fastRows struct {
	b     *fastBook
	sheet string
	rc    io.ReadCloser
	w     *window
	num   int // the row number of the last <row> read
	cur   int // the row number of the <row> being read
	elems int // the <row> elements read
	col   int // the column of the last cell read in the row being read
	last  int // the number of the last row given
	cells []string
	kinds []cellKind
	spans []span // beside cells: where each cell's text lies in arena
	arena []byte // the text of the row's cells, but for shared strings
	ended bool   // </sheetData> was read
	done  bool
	err   error
	slow  Rows // excelize, once the fast reader stepped aside
}

// span is where a cell's text lies in the row's arena: arena[start:end]. start < 0 when
// the cell's string is in cells already (a shared string, or an empty cell).
type span struct{ start, end int }

func (it *fastRows) Next() bool {
	if it.slow != nil {
		return it.slow.Next()
	}
	if it.done || it.err != nil {
		return false
	}
	for {
		ok, err := it.row()
		if err != nil {
			var d *declined
			if errors.As(err, &d) {
				it.rc.Close()
				it.slow, it.err = it.b.stepAside(it.sheet, it.last, err)
				if it.err != nil {
					return false
				}
				return it.slow.Next()
			}
			it.err = err
			return false
		}
		if !ok {
			it.done = true
			return false
		}
		cells, kinds := trimEmptyKinds(it.cells, it.kinds)
		if len(cells) == 0 {
			if it.num > it.b.lim.MaxRows { // blank rows count, as in the excelize reader
				it.err = checkRow(it.sheet, it.num, 0, it.b.lim)
				return false
			}
			continue
		}
		if err := checkRow(it.sheet, it.num, len(cells), it.b.lim); err != nil {
			it.err = err
			return false
		}
		for i, c := range cells {
			if p, ok := plainNumber(c); ok {
				cells[i] = p
			}
		}
		it.cells, it.kinds, it.last = cells, kinds, it.num
		return true
	}
}

func trimEmptyKinds(cells []string, kinds []cellKind) ([]string, []cellKind) {
	cells = trimEmpty(cells)
	return cells, kinds[:len(cells)]
}

// errMore says that the window ends inside the row being read: the row is read again
// once the window holds more of the sheet.
var errMore = errors.New("the row goes on past the window")

// row reads the next <row> element into it.cells; false at the end of sheetData.
func (it *fastRows) row() (bool, error) {
	w := it.w
	for {
		if it.ended {
			return false, it.finish()
		}
		av := w.avail()
		i := skipSpace(av, 0)
		if len(av)-i < len("</sheetData>") {
			if w.more() {
				continue
			}
			if w.err != nil {
				return false, fileErr(msgCorrupt, fmt.Errorf("sheet %q: %w", it.sheet, w.err))
			}
		}
		av = av[i:]
		switch {
		case bytes.HasPrefix(av, endSheetData):
			w.pos += i + len(endSheetData)
			it.ended = true
			continue
		case hasTag(av, "<row"):
		default:
			if len(av) == 0 {
				return false, decline("sheet %q: sheetData not closed", it.sheet)
			}
			return false, decline("sheet %q after row %d: %q", it.sheet, it.num, clip(av))
		}
		// The limits of the package check (zip.go), as the sheet streams: the <row>
		// elements, blank ones included, here, and the <c> elements of each in parseRow.
		if it.elems >= it.b.lim.MaxRows {
			return false, fileErr(fmt.Sprintf(msgTooManyRowsAll, it.b.lim.MaxRows), fmt.Errorf("sheet %q: more than %d <row> elements", it.sheet, it.b.lim.MaxRows))
		}
		next, err := it.parseRow(av)
		if err == errMore {
			if w.more() {
				continue
			}
			if w.err != nil {
				return false, fileErr(msgCorrupt, fmt.Errorf("sheet %q: %w", it.sheet, w.err))
			}
			return false, decline("sheet %q after row %d: row cut short or longer than %d bytes", it.sheet, it.num, maxRowXML)
		}
		if err != nil {
			return false, err
		}
		it.elems++
		w.pos += i + next
		return true, nil
	}
}

var endSheetData = []byte("</sheetData>")

// finish reads the rest of the part, so that the zip checks its checksum.
func (it *fastRows) finish() error {
	if it.w.err != nil {
		return fileErr(msgCorrupt, fmt.Errorf("sheet %q: %w", it.sheet, it.w.err))
	}
	if !it.w.eof {
		if _, err := io.Copy(io.Discard, it.rc); err != nil {
			return fileErr(msgCorrupt, fmt.Errorf("sheet %q: %w", it.sheet, err))
		}
	}
	return nil
}

// parseRow reads the <row> element that starts at b[0] into it.cells, in one pass, and
// returns the index just past it; errMore when b ends inside it. It may be called again
// on the same row, with more of it: until the row is read whole it changes only the
// scratch of the row being read (cur, col, cells, kinds, spans, arena).
func (it *fastRows) parseRow(b []byte) (int, error) {
	num := it.num + 1
	i, empty := len("<row"), false
	for {
		name, val, next, st, e, err := tagAttr(b, i)
		switch {
		case err == errMore:
			return 0, err
		case err != nil:
			return 0, decline("sheet %q after row %d: row attributes %q", it.sheet, it.num, clip(b))
		}
		if i, empty = next, e; st == attrsEnd {
			break
		}
		bad := false
		if string(name) == "r" {
			n, ok := atoiDigits(val)
			bad = !ok
			num = n
		} else if c := bytes.IndexByte(name, ':'); c >= 0 && string(name[c+1:]) == "r" {
			bad = true
		}
		if bad {
			return 0, decline("sheet %q after row %d: row attributes %q", it.sheet, it.num, clip(b))
		}
	}
	if num <= it.num {
		// excelize would merge such a row into the one before it: a wrong value, so the
		// file is refused rather than handed over. Excel itself never writes rows out of
		// order; saving the file again in Excel puts them right.
		return 0, fileErr(fmt.Sprintf(msgRowOrder, it.sheet, num, it.num), fmt.Errorf("row %d after row %d", num, it.num))
	}
	if num > maxExcelRow {
		return 0, decline("sheet %q: row %d", it.sheet, num)
	}
	it.cur, it.col = num, 0
	it.cells, it.kinds, it.spans, it.arena = it.cells[:0], it.kinds[:0], it.spans[:0], it.arena[:0]
	if !empty {
		ncell, maxCells := 0, max(it.b.lim.MaxColumns, maxCellsPerRow)
		for {
			i = skipSpace(b, i)
			if len(b)-i < len("</row>") {
				return 0, errMore
			}
			if hasTag(b[i:], "<c") {
				if ncell++; ncell > maxCells {
					return 0, fileErr(fmt.Sprintf(msgTooManyCells, it.elems+1, maxCells), fmt.Errorf("sheet %q row %d: more than %d <c> elements", it.sheet, num, maxCells))
				}
				next, err := it.cell(b, i)
				if err != nil {
					return 0, err
				}
				i = next
				continue
			}
			if string(b[i:i+len("</row>")]) != "</row>" {
				return 0, decline("sheet %q row %d: %q", it.sheet, num, clip(b[i:]))
			}
			i += len("</row>")
			break
		}
	}
	// Each value's bytes went to the arena; the row's strings are cut from one string.
	if len(it.arena) > 0 {
		all := string(it.arena)
		for k, s := range it.spans {
			if s.start >= 0 {
				it.cells[k] = all[s.start:s.end]
			}
		}
	}
	it.num = num
	return i, nil
}

// atoiDigits reads a positive decimal number of at most 9 digits, without sign or space.
func atoiDigits(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// cell reads the <c> element that starts at b[i] and returns the index just past it;
// errMore when b ends inside it. Its value goes to it.cells, its text to the arena. A
// cell without a value is left out, as excelize leaves it out.
func (it *fastRows) cell(b []byte, i int) (int, error) {
	var ref, typ, style []byte
	j, empty := i+len("<c"), false
	for {
		name, val, next, st, e, err := tagAttr(b, j)
		switch {
		case err == errMore:
			return 0, err
		case err != nil:
			return 0, decline("sheet %q row %d: cell attributes %q", it.sheet, it.cur, clip(b[i:]))
		}
		if j, empty = next, e; st == attrsEnd {
			break
		}
		bad := false
		switch string(name) {
		case "r":
			ref = val
		case "t":
			typ = val
		case "s":
			style = val
		default:
			if c := bytes.IndexByte(name, ':'); c >= 0 {
				switch string(name[c+1:]) {
				case "r", "t", "s":
					bad = true
				}
			}
		}
		if bad {
			return 0, decline("sheet %q row %d: cell attributes %q", it.sheet, it.cur, clip(b[i:]))
		}
	}
	col := it.col + 1
	if ref != nil {
		c, r, ok := parseRef(ref)
		if !ok || r != it.cur {
			return 0, decline("sheet %q row %d: cell reference %q", it.sheet, it.cur, ref)
		}
		col = c
	}
	if col <= it.col || col > maxExcelCol {
		return 0, decline("sheet %q row %d: cell %d after %d", it.sheet, it.cur, col, it.col)
	}
	it.col = col
	styleID := 0
	if style != nil {
		n, ok := atoiDigits(style)
		if !ok {
			return 0, decline("sheet %q row %d: style %q", it.sheet, it.cur, style)
		}
		styleID = n
	}
	var kind cellKind
	switch string(typ) {
	case "", "n":
		kind = kindNumber
		if styleID > 0 && styleID < len(it.b.dates) && it.b.dates[styleID] {
			kind = kindDate
		}
	case "s":
		kind = kindShared
	case "inlineStr":
		kind = kindInline
	case "str":
		kind = kindFormulaStr
	case "b":
		kind = kindBool
	case "e":
		kind = kindError
	case "d":
		kind = kindISODate
	default:
		return 0, decline("sheet %q row %d: cell type %q", it.sheet, it.cur, typ)
	}
	// The content: <f> (skipped: the cached value is what counts), <v>, <is>.
	var v, is []byte // is: the content of <is>, or the text of its one <t> (isPlain)
	hasV, hasIS, isPlain := false, false, false
content:
	for !empty {
		j = skipSpace(b, j)
		if len(b)-j < len("</is>") {
			return 0, errMore
		}
		c := b[j:]
		switch {
		case c[0] == '<' && c[1] == '/':
			if string(c[:len("</c>")]) != "</c>" {
				return 0, decline("sheet %q row %d: in cell %q", it.sheet, it.cur, clip(c))
			}
			j += len("</c>")
			break content
		case hasTag(c, "<v"):
			va, ve, vEmpty, err := startTag(c, len("<v"))
			if err == errMore {
				return 0, err
			}
			if err != nil || hasV || skipSpace(va, 0) != len(va) {
				return 0, decline("sheet %q row %d: value %q", it.sheet, it.cur, clip(c))
			}
			hasV = true
			if vEmpty {
				v, j = nil, j+ve+1
				continue
			}
			t, next, err := textUntil(c, ve+1, "</v>")
			if err != nil {
				return 0, it.inCell(err, c)
			}
			v, j = t, j+next
		case hasTag(c, "<f"):
			fa, fe, fEmpty, err := startTag(c, len("<f"))
			if err == errMore {
				return 0, err
			}
			if err != nil || !plainAttrs(fa) {
				return 0, decline("sheet %q row %d: formula %q", it.sheet, it.cur, clip(c))
			}
			if fEmpty {
				j += fe + 1
				continue
			}
			_, next, err := textUntil(c, fe+1, "</f>")
			if err != nil {
				return 0, it.inCell(err, c)
			}
			j += next
		case hasTag(c, "<is"):
			ia, ie, isEmpty, err := startTag(c, len("<is"))
			if err == errMore {
				return 0, err
			}
			if err != nil || hasIS || !plainAttrs(ia) {
				return 0, decline("sheet %q row %d: inline string %q", it.sheet, it.cur, clip(c))
			}
			hasIS = true
			if isEmpty {
				is, j = nil, j+ie+1
				continue
			}
			if t, next, ok := plainInline(c, ie+1); ok {
				is, isPlain, j = t, true, j+next
				continue
			}
			k := bytes.Index(c[ie+1:], endIS)
			if k < 0 {
				return 0, errMore
			}
			is, j = c[ie+1:ie+1+k], j+ie+1+k+len(endIS)
		default:
			return 0, decline("sheet %q row %d: in cell %q", it.sheet, it.cur, clip(c))
		}
	}
	start := len(it.arena)
	var ok bool
	switch {
	case kind == kindShared:
		if len(v) == 0 {
			return j, nil
		}
		n, ok := atoiDigits(v)
		if !ok || n >= len(it.b.sst) || it.b.sstSlow[n] {
			return 0, decline("sheet %q row %d: shared string %q", it.sheet, it.cur, clip(v))
		}
		if it.b.sst[n] != "" {
			it.put(col, kind, it.b.sst[n], -1)
		}
		return j, nil
	case kind == kindInline && isPlain:
		var escape bool
		it.arena, ok, escape = appendTextSeen(it.arena, is)
		if ok && escape && bytes.Contains(it.arena[start:], escapeStart) {
			ok = false
		}
	case kind == kindInline && hasIS:
		it.arena, ok = appendRich(it.arena, is)
		if ok && bytes.Contains(it.arena[start:], escapeStart) {
			ok = false
		}
	default:
		it.arena, ok = appendText(it.arena, v)
	}
	if !ok {
		return 0, decline("sheet %q row %d: text not understood", it.sheet, it.cur)
	}
	if len(it.arena) > start {
		it.put(col, kind, "", start)
	}
	return j, nil
}

var (
	endIS       = []byte("</is>")
	escapeStart = []byte("_x") // of an _xHHHH_ escape, which only excelize decodes
)

// put sets the cell of column col (1-based) of the row being read: s, or when start >= 0
// the arena from start on.
func (it *fastRows) put(col int, kind cellKind, s string, start int) {
	for len(it.cells) < col-1 {
		it.cells = append(it.cells, "")
		it.kinds = append(it.kinds, kindEmpty)
		it.spans = append(it.spans, span{-1, -1})
	}
	it.cells = append(it.cells, s)
	it.kinds = append(it.kinds, kind)
	it.spans = append(it.spans, span{start, len(it.arena)})
}

// inCell is the error of textUntil in a cell.
func (it *fastRows) inCell(err error, c []byte) error {
	if err == errMore {
		return err
	}
	return decline("sheet %q row %d: in cell %q", it.sheet, it.cur, clip(c))
}

// textUntil returns the character data of b from i up to the end tag closing ("</v>"),
// which must be the first markup after it, and the index just past the end tag. The
// error is errMore when b ends first, errMarkup when other markup comes first (which is
// never text this reader decodes).
func textUntil(b []byte, i int, closing string) (text []byte, next int, err error) {
	k := bytes.IndexByte(b[i:], '<')
	if k < 0 {
		return nil, 0, errMore
	}
	k += i
	if len(b)-k < len(closing) {
		return nil, 0, errMore
	}
	if string(b[k:k+len(closing)]) != closing {
		return nil, 0, errMarkup
	}
	return b[i:k], k + len(closing), nil
}

var errMarkup = errors.New("markup in text")

func (it *fastRows) Num() int {
	if it.slow != nil {
		return it.slow.Num()
	}
	return it.num
}

func (it *fastRows) Cells() []string {
	if it.slow != nil {
		return it.slow.Cells()
	}
	return it.cells
}

// Numeric reports whether cell j of the current row was stored as a number (a date
// serial included), by its type: the fast reader knows every cell's, where excelize's
// iterator only shows numbers in exponent form.
func (it *fastRows) Numeric(j int) bool {
	if it.slow != nil {
		return it.slow.Numeric(j)
	}
	return j >= 0 && j < len(it.kinds) && it.kinds[j].Numeric()
}

// kinds are the current row's cell kinds, beside Cells; nil once excelize reads the sheet.
func (it *fastRows) Kinds() []cellKind {
	if it.slow != nil {
		return nil
	}
	return it.kinds
}

func (it *fastRows) Err() error {
	if it.slow != nil {
		return it.slow.Err()
	}
	return it.err
}

func (it *fastRows) Close() error {
	if it.slow != nil {
		return it.slow.Close()
	}
	it.done = true
	return it.rc.Close()
}

// clip shortens bytes for a log line.
func clip(b []byte) string {
	if len(b) > 40 {
		b = b[:40]
	}
	return strconv.Quote(string(b))
}
