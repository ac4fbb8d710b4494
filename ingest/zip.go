package ingest

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// The package of an .xlsx is checked here, before any reader unpacks a part of it, so that
// the limits below hold for every .xlsx reader of this package.
//
// A zip bomb is small as a file and huge unpacked. What a reader would unpack is bounded
// part by part, by each part's declared size (Go's zip reader refuses to inflate more than
// a part declares, so a part that lies is a corrupt file):
//
//   - a worksheet: Limits.MaxUnpackedBytes, the limit of the whole package (a sheet is
//     streamed, or unpacked to a temporary file, never held in memory);
//   - the shared-string table: Limits.MaxSharedStringsBytes (tens of MB; it is indexed in
//     memory);
//   - the styles: Limits.MaxStylesBytes (a few MB in any real file);
//   - the workbook, the relationships, the content types and the other small XML parts a
//     reader may look at: Limits.MaxPartBytes each;
//   - everything else (images and other media, embedded objects, drawings, charts, pivot
//     caches, printer settings, macros) is left out of the package unread: never
//     inflated, whatever it declares.
//
// The parts kept must also inflate without error and match their checksums, so that a
// broken part is a corrupt file rather than rows quietly lost (excelize drops the error of
// reading a part), and a worksheet may hold at most Limits.MaxRows rows, blank ones
// included, and maxCellsPerRow cells in a row. When and how that is checked depends on
// the reader:
//
//   - the fast reader (read_xlsx_fast.go) reads the parts straight from the file. The
//     small parts (workbook, relationships, styles, shared strings, …) are inflated once
//     to nowhere before it opens them (openFastXLSX); a worksheet is checked as the fast
//     reader streams it, row by row, and its checksum when it reaches the part's end. The
//     sheets are not inflated twice, and a sheet that is never read costs nothing.
//   - excelize, which the fast reader steps aside for, opens the package that
//     openPackage returns: every part kept is inflated to nowhere first, and while a
//     worksheet is inflated its rows and cells are counted (sheetScan): a sheet over a
//     limit is refused at that point, before excelize parses it.

// SweepTemp makes dir, the temporary directory of Limits.TempDir, and removes the files a
// killed process left there: a reader's unpacked sheets (excelize-*) and the API's spooled
// upload bodies (upload-*). Call it at start, while nothing uses dir.
func SweepTemp(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("temporary directory: %w", err)
	}
	var stale []string
	for _, pattern := range []string{"excelize-*", "upload-*"} {
		m, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return err
		}
		stale = append(stale, m...)
	}
	for _, p := range stale {
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("sweep temporary directory: %w", err)
		}
	}
	return nil
}

// maxCellsPerRow is the most <c> elements a row may hold: Excel's last column, XFD. A row
// with more is not a spreadsheet's, and is refused before any reader decodes it.
const maxCellsPerRow = 16384

// partKind is what a reader does with a part of the package.
type partKind int

const (
	partDrop          partKind = iota // not read: dropped unread
	partSheet                         // a worksheet
	partSharedStrings                 // xl/sharedStrings.xml
	partStyles                        // xl/styles.xml
	partSmall                         // workbook, relationships, content types, theme, …
)

// kindOf classifies a part by its name in the package.
func kindOf(name string) partKind {
	n := strings.ToLower(strings.ReplaceAll(name, `\`, "/"))
	n = strings.TrimPrefix(n, "/")
	switch {
	case n == "[content_types].xml", strings.HasSuffix(n, ".rels"):
		return partSmall
	case n == "xl/sharedstrings.xml":
		return partSharedStrings
	case n == "xl/styles.xml":
		return partStyles
	case strings.HasPrefix(n, "xl/worksheets/") && path.Ext(n) == ".xml" && !strings.Contains(n[len("xl/worksheets/"):], "/"):
		return partSheet
	case n == "xl/workbook.xml", strings.HasPrefix(n, "xl/theme/") && path.Ext(n) == ".xml",
		strings.HasPrefix(n, "docprops/") && path.Ext(n) == ".xml":
		return partSmall
	case path.Ext(n) == ".xml" && (strings.HasPrefix(n, "xl/chartsheets/") || strings.HasPrefix(n, "xl/dialogsheets/") ||
		strings.HasPrefix(n, "xl/macrosheets/")):
		return partSmall // sheets the workbook lists, that hold no rows: kept, so that listing them works as before
	}
	return partDrop
}

// limit is the most a part of kind k may declare unpacked.
func (lim Limits) limit(k partKind) int64 {
	switch k {
	case partSheet:
		return lim.MaxUnpackedBytes
	case partSharedStrings:
		return lim.MaxSharedStringsBytes
	case partStyles:
		return lim.MaxStylesBytes
	}
	return lim.MaxPartBytes
}

// partNames are the parts' names for a department, in the message of a refused file.
var partNames = map[partKind]string{
	partSharedStrings: "共享字符串表", partStyles: "样式表", partSmall: "工作簿结构",
}

// packageParts checks the parts of an .xlsx package against lim by their declared sizes
// (see above), and returns those a reader keeps: every part but the dropped ones and the
// folders, in the order of the zip's directory. dropped reports whether any part was left
// out. Every problem is a *FileError.
func packageParts(zr *zip.Reader, lim Limits) (keep []*zip.File, dropped bool, err error) {
	var total uint64
	keep = make([]*zip.File, 0, len(zr.File))
	for _, zf := range zr.File {
		k := kindOf(zf.Name)
		if k == partDrop || zf.FileInfo().IsDir() {
			dropped = true
			continue
		}
		size := zf.UncompressedSize64
		if size > uint64(lim.limit(k)) {
			msg := msgUnpacked // a sheet's limit is the package's
			if k != partSheet {
				msg = fmt.Sprintf(msgPartTooBig, partNames[k], sizeText(lim.limit(k)))
			}
			return nil, false, fileErr(msg, fmt.Errorf("part %s declares %d bytes unpacked", zf.Name, size))
		}
		if total += size; total > uint64(lim.MaxUnpackedBytes) {
			return nil, false, fileErr(msgUnpacked, fmt.Errorf("parts declare %d bytes unpacked", total))
		}
		keep = append(keep, zf)
	}
	return keep, dropped, nil
}

// openPackage checks an .xlsx package for excelize: its parts' declared sizes, then every
// part kept inflated and its worksheets' rows and cells counted (see above). It returns the
// package excelize should open: data itself when nothing was dropped, else a copy without
// the dropped parts (their compressed bytes are skipped, not inflated). Every problem is a
// *FileError.
func openPackage(data []byte, lim Limits) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fileErr(msgCorrupt, err)
	}
	keep, dropped, err := packageParts(zr, lim)
	if err != nil {
		return nil, err
	}
	for _, zf := range keep {
		if err := verifyPart(zf, lim); err != nil {
			return nil, err
		}
	}
	if !dropped {
		return data, nil
	}
	var out bytes.Buffer
	out.Grow(len(data))
	zw := zip.NewWriter(&out)
	for _, zf := range keep {
		if err := zw.Copy(zf); err != nil {
			return nil, fileErr(msgCorrupt, fmt.Errorf("copy part %s: %w", zf.Name, err))
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fileErr(msgCorrupt, err)
	}
	return out.Bytes(), nil
}

// verifyPart inflates one part to nowhere, counting a worksheet's rows and cells.
func verifyPart(zf *zip.File, lim Limits) error {
	rc, err := zf.Open()
	if err != nil {
		return fileErr(msgCorrupt, fmt.Errorf("part %s: %w", zf.Name, err))
	}
	defer rc.Close()
	var w io.Writer = io.Discard
	var sc *sheetScan
	if kindOf(zf.Name) == partSheet {
		sc = &sheetScan{maxRows: lim.MaxRows, maxCells: max(lim.MaxColumns, maxCellsPerRow)}
		w = sc
	}
	if _, err := io.Copy(w, rc); err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			return fe
		}
		return fileErr(msgCorrupt, fmt.Errorf("part %s: %w", zf.Name, err))
	}
	return nil
}

// sheetScan counts the <row> elements of a worksheet and the <c> elements of each row as
// the XML streams past, without decoding it, and fails the write at the first limit passed.
// Tags may carry a namespace prefix (<x:row>). Text never holds a raw '<', so every '<'
// starts a tag, a comment or a CDATA section; counting one of those by mistake can only
// make the limits stricter.
type sheetScan struct {
	maxRows, maxCells int
	rows, cells       int
	inTag             bool   // after '<', reading the name
	name              []byte // the name so far (at most 16 bytes kept)
}

func (s *sheetScan) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if !s.inTag {
			j := bytes.IndexByte(p, '<')
			if j < 0 {
				break
			}
			p = p[j+1:]
			if len(p) > 0 && (p[0] == '/' || p[0] == '?' || p[0] == '!') {
				continue // a closing tag, a declaration or a comment: half of all tags
			}
			s.inTag, s.name = true, s.name[:0]
		}
		k := 0
		for k < len(p) && !nameEnd(p[k]) {
			k++
		}
		name := p[:k]
		if len(s.name) > 0 || k == len(p) { // the name spans two writes
			s.name = append(s.name, name[:min(len(name), 16-min(len(s.name), 16))]...)
			name = s.name
		}
		if k == len(p) {
			break
		}
		s.inTag = false
		if err := s.tag(name); err != nil {
			return n - len(p), err
		}
		p = p[k:]
	}
	return n, nil
}

// nameEnd reports whether c ends an element's name.
func nameEnd(c byte) bool {
	return c == ' ' || c == '>' || c == '/' || c == '\t' || c == '\r' || c == '\n'
}

func (s *sheetScan) tag(n []byte) error {
	if k := bytes.IndexByte(n, ':'); k >= 0 {
		n = n[k+1:]
	}
	switch string(n) {
	case "row":
		s.rows++
		s.cells = 0
		if s.rows > s.maxRows {
			return fileErr(fmt.Sprintf(msgTooManyRowsAll, s.maxRows), fmt.Errorf("more than %d <row> elements", s.maxRows))
		}
	case "c":
		s.cells++
		if s.cells > s.maxCells {
			return fileErr(fmt.Sprintf(msgTooManyCells, s.rows, s.maxCells), fmt.Errorf("row %d: more than %d <c> elements", s.rows, s.maxCells))
		}
	}
	return nil
}
