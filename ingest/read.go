package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strings"
	"unicode/utf16"
)

// A FileError is a file the readers cannot take: not a spreadsheet, truncated, encrypted,
// too large once unpacked, too many rows, or so malformed that a reader library failed on
// it. Message is Chinese and is shown to the department that uploaded the file; Err is the
// cause, for the log.
type FileError struct {
	Message string
	Err     error
}

func (e *FileError) Error() string {
	if e.Err == nil {
		return e.Message
	}
	return e.Message + ": " + e.Err.Error()
}

func (e *FileError) Unwrap() error { return e.Err }

// Messages of the file errors, as the department reads them.
const (
	msgEmpty       = "文件为空"
	msgUnknown     = "无法识别的文件格式，请上传 .xlsx、.xls 或 .csv 文件"
	msgCorrupt     = "文件已损坏或不完整，请用 Excel 打开检查后重新保存上传"
	msgEncrypted   = "文件已加密，请去除密码后重新上传"
	msgUnpacked    = "文件解压后过大，可能已损坏，请检查后重新上传"
	msgMarkup      = "文件内容是网页或 XML 格式，不是 Excel 表格，请用 Excel 打开后另存为 .xlsx 重新上传"
	msgNotXLSX     = "文件扩展名为 .xlsx，但内容不是有效的 Excel 文件，请用 Excel 打开后重新保存上传"
	msgNoSheets    = "文件中没有工作表"
	msgPanic       = "文件内容异常，无法读取，请用 Excel 打开后另存为 .xlsx 重新上传"
	msgFileTooBig  = "文件过大（超过 %s），请拆分后上传"
	msgTooManyRows = "工作表“%s”的行数超过上限（%d 行）"
	msgTooManyCols = "工作表“%s”第 %d 行的列数超过上限（%d 列）"
	msgRowOrder    = "工作表“%s”的行顺序错乱（第 %d 行出现在第 %d 行之后），请用 Excel 打开后重新保存上传"
	// The package checks (zip.go): of openPackage before excelize opens a package, where no
	// sheet is named; of the fast reader as it streams a sheet.
	msgPartTooBig     = "文件中的%s解压后过大（超过 %s），可能已损坏，请检查后重新上传"
	msgTooManyRowsAll = "工作表的行数（含空行）超过上限（%d 行），请删除多余的空行后重新上传"
	msgTooManyCells   = "工作表第 %d 个数据行的单元格超过上限（%d 个），文件可能已损坏"
)

func fileErr(msg string, err error) *FileError { return &FileError{Message: msg, Err: err} }

// recoverFile turns a panic of a reader library into a *FileError in *err. It must be
// deferred directly.
func recoverFile(err *error, lib string) {
	if p := recover(); p != nil {
		*err = fileErr(msgPanic, fmt.Errorf("%s panicked: %v", lib, p))
	}
}

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// Open opens a spreadsheet held in memory. name is the file name as uploaded; it names a
// CSV's only sheet and breaks ties the content cannot. The format is known by its first
// bytes: a zip is an .xlsx, an OLE2 compound file a legacy .xls (or, holding an
// EncryptedPackage, a password-protected .xlsx), anything else that is text a CSV in UTF-8,
// UTF-16 with a BOM, or GB18030.
//
// Every problem that lies in the file is a *FileError; an .xlsx sheet over a limit, or
// broken, may be found only while its rows are read, so Rows.Err can return one too. A zero
// field of lim takes its DefaultLimits value. The Book may keep data; data must not change
// while the Book is open.
func Open(name string, data []byte, lim Limits) (b Book, err error) {
	return open(name, bytes.NewReader(data), lim, nil)
}

// OpenFrom is Open of a file read in pieces from src as it is needed: an .xlsx is read
// part by part, its sheets streamed from their zip entries, and held whole only when the
// fast reader steps aside for excelize; an .xls or a CSV is read whole. src must not change
// while the Book is open.
func OpenFrom(name string, src Source, lim Limits) (b Book, err error) {
	return open(name, src, lim, nil)
}

// open is OpenFrom with a logger for the readers' debug messages (nil: none).
func open(name string, src Source, lim Limits, log *slog.Logger) (b Book, err error) {
	defer recoverFile(&err, "reader")
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	lim = lim.orDefault()
	size := src.Size()
	switch {
	case size == 0:
		return nil, fileErr(msgEmpty, nil)
	case size > lim.MaxFileBytes:
		return nil, fileErr(fmt.Sprintf(msgFileTooBig, sizeText(lim.MaxFileBytes)), fmt.Errorf("%d bytes", size))
	}
	head := make([]byte, len(zipMagic))
	if n, err := src.ReadAt(head, 0); n < len(head) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read the file: %w", err)
	}
	if bytes.Equal(head, zipMagic) {
		return openXLSX(src, lim, log)
	}
	// The other formats are small: read them whole.
	data, err := readWhole(src)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(data, oleMagic) {
		if oleEncrypted(data) {
			return nil, fileErr(msgEncrypted, errors.New("ole2 file holds an encrypted ooxml package"))
		}
		return openXLS(data, lim)
	}
	base := baseName(name)
	switch strings.ToLower(path.Ext(base)) {
	case ".xlsx", ".xlsm", ".xltx", ".xltm":
		return nil, fileErr(msgNotXLSX, errors.New("no zip signature"))
	}
	// An .xls that is neither zip nor OLE2 is often a tab-separated export, which the CSV
	// reader takes; a web page saved as .xls is caught as markup below.
	text, ok := decodeText(data)
	if !ok {
		return nil, fileErr(msgUnknown, errors.New("binary content of unknown format"))
	}
	if isMarkup(text) {
		return nil, fileErr(msgMarkup, errors.New("html or xml content"))
	}
	return openCSV(strings.TrimSuffix(base, path.Ext(base)), text, lim), nil
}

// readWhole reads all of src into memory.
func readWhole(src Source) ([]byte, error) {
	data := make([]byte, src.Size())
	n, err := src.ReadAt(data, 0)
	if n < len(data) {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF // the file shrank while it was read
		}
		return nil, fmt.Errorf("read the file: %w", err)
	}
	return data, nil
}

// orDefault fills the zero fields of lim from DefaultLimits.
func (lim Limits) orDefault() Limits {
	d := DefaultLimits()
	if lim.MaxFileBytes <= 0 {
		lim.MaxFileBytes = d.MaxFileBytes
	}
	if lim.MaxUnpackedBytes <= 0 {
		lim.MaxUnpackedBytes = d.MaxUnpackedBytes
	}
	if lim.MaxRows <= 0 {
		lim.MaxRows = d.MaxRows
	}
	if lim.MaxColumns <= 0 {
		lim.MaxColumns = d.MaxColumns
	}
	if lim.MaxSharedStringsBytes <= 0 {
		lim.MaxSharedStringsBytes = min(d.MaxSharedStringsBytes, lim.MaxUnpackedBytes)
	}
	if lim.MaxStylesBytes <= 0 {
		lim.MaxStylesBytes = min(d.MaxStylesBytes, lim.MaxUnpackedBytes)
	}
	if lim.MaxPartBytes <= 0 {
		lim.MaxPartBytes = min(d.MaxPartBytes, lim.MaxUnpackedBytes)
	}
	return lim
}

// sizeText writes a byte count for a person: "200 MB", "1 KB".
func sizeText(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d KB", max(n>>10, 1))
}

// baseName is the last element of a path written with / or \ (a browser on Windows may send
// the whole path).
func baseName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// oleEncrypted reports whether an OLE2 compound file holds the EncryptionInfo or
// EncryptedPackage stream of an encrypted OOXML package (MS-OFFCRYPTO). It looks for the
// directory entries themselves rather than walking the sector chains: directory entries
// are 128 bytes long and start on 128-byte boundaries of the file (sectors are 512 or
// 4096 bytes after a header of 512), so a broken FAT does not hide them.
func oleEncrypted(data []byte) bool {
	for off := 512; off+128 <= len(data); off += 128 {
		e := data[off : off+128]
		if e[66] != 2 { // object type: stream
			continue
		}
		n := int(e[64]) | int(e[65])<<8
		for _, want := range encryptionStreams {
			if n == len(want) && bytes.Equal(e[:n], want) {
				return true
			}
		}
	}
	return false
}

// encryptionStreams are the names of the streams of an encrypted package, in UTF-16LE with
// the terminating NUL, as a directory entry stores them.
var encryptionStreams = [][]byte{utf16le("EncryptionInfo"), utf16le("EncryptedPackage")}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s + "\x00")) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

// isMarkup reports whether text is a web page or an XML document (an HTML table or an
// Excel 2003 XML spreadsheet saved under a spreadsheet's name) rather than delimited text.
func isMarkup(text []byte) bool {
	t := bytes.TrimLeft(text, " \t\r\n")
	if len(t) == 0 || t[0] != '<' {
		return false
	}
	head := bytes.ToLower(t[:min(len(t), 512)])
	for _, p := range []string{"<?xml", "<!doctype", "<html", "<table", "<head", "<body", "<meta", "<!--"} {
		if bytes.HasPrefix(head, []byte(p)) {
			return true
		}
	}
	return false
}
