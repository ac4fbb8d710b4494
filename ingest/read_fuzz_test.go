package ingest

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"
)

// fuzzLimits keep one fuzz input cheap.
var fuzzLimits = Limits{MaxFileBytes: 1 << 20, MaxUnpackedBytes: 8 << 20, MaxRows: 100_000, MaxColumns: 512}

// fuzzRead opens a file and reads every sheet, failing the test on a panic, an error that
// is not a *FileError, or row numbers that do not increase.
func fuzzRead(t *testing.T, name string, data []byte) {
	isFileErr := func(err error) bool {
		var fe *FileError
		return errors.As(err, &fe) && fe.Message != ""
	}
	b, err := Open(name, data, fuzzLimits)
	if err != nil {
		if !isFileErr(err) {
			t.Fatalf("Open: %v (%T), want a *FileError", err, err)
		}
		return
	}
	defer b.Close()
	for _, s := range b.Sheets() {
		it, err := b.Rows(s.Name)
		if err != nil {
			if !isFileErr(err) {
				t.Fatalf("Rows(%q): %v (%T), want a *FileError", s.Name, err, err)
			}
			continue
		}
		last := 0
		for it.Next() {
			if it.Num() <= last {
				t.Fatalf("sheet %q: row %d after row %d", s.Name, it.Num(), last)
			}
			last = it.Num()
			if n := len(it.Cells()); n == 0 || n > fuzzLimits.MaxColumns || last > fuzzLimits.MaxRows {
				t.Fatalf("sheet %q row %d: %d cells", s.Name, last, n)
			}
		}
		if err := it.Err(); err != nil && !isFileErr(err) {
			t.Fatalf("sheet %q: %v (%T), want a *FileError", s.Name, err, err)
		}
		it.Close()
	}
}

func addTestdata(f *testing.F, names ...string) [][]byte {
	var all [][]byte
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		all = append(all, data)
	}
	return all
}

// FuzzOpenXLSX feeds either whole files (raw) or a worksheet's XML set into a small
// workbook: a zip's checksums would stop most mutations of a whole file before the XML.
func FuzzOpenXLSX(f *testing.F) {
	for _, data := range addTestdata(f, "fs_libreoffice.xlsx") {
		f.Add(true, data)
	}
	var tmpl []byte
	{
		x := excelize.NewFile()
		x.SetCellStr("Sheet1", "A1", "姓名")
		x.SetCellStr("Sheet1", "B1", "天数")
		_, _ = x.NewSheet("Hidden")
		x.SetSheetVisible("Hidden", false)
		buf, err := x.WriteToBuffer()
		if err != nil {
			f.Fatal(err)
		}
		tmpl = buf.Bytes()
		f.Add(true, tmpl)
	}
	for _, sheet := range []string{
		`<c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="3"><c r="A3"><v>12.5</v></c><c r="C3"><v>3.7E+17</v></c></row>`,
		`<c t="s"><v>0</v></c></row><row><c><v>1</v></c><c t="str"><f>A2</f><v>1</v></c></row><row r="9" spans="1:2"><c r="B9" t="inlineStr"><is><t>第九行</t></is></c>`,
		`<c r="XFD1" t="b"><v>1</v></c><c r="A1" t="e"><v>#DIV/0!</v></c></row><row r="2"><c r="A2" s="1"><v>45415</v></c>`,
		`<c r="A1" t="s"><v>99</v></c>`,
		`<c r="A1"><v>1</v></c></row><row r="1048576"><c r="A1048576"><v>2</v></c>`,
	} {
		f.Add(false, []byte(sheet))
	}
	parts := map[string][]byte{}
	var order []string
	zr, err := zip.NewReader(bytes.NewReader(tmpl), int64(len(tmpl)))
	if err != nil {
		f.Fatal(err)
	}
	for _, zf := range zr.File {
		rc, _ := zf.Open()
		parts[zf.Name], _ = io.ReadAll(rc)
		rc.Close()
		order = append(order, zf.Name)
	}
	f.Fuzz(func(t *testing.T, raw bool, data []byte) {
		if raw {
			fuzzRead(t, "f.xlsx", data)
			return
		}
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, name := range order {
			body := parts[name]
			if name == "xl/worksheets/sheet1.xml" {
				body = []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
					`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">` +
					string(data) + `</row></sheetData></worksheet>`)
			}
			w, _ := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
			w.Write(body)
		}
		zw.Close()
		fuzzRead(t, "f.xlsx", buf.Bytes())
	})
}

// FuzzOpenXLS mutates whole .xls files: a compound file has no checksum, so mutations
// reach the BIFF records of the workbook stream as well as the container.
func FuzzOpenXLS(f *testing.F) {
	for _, data := range addTestdata(f, "fs_libreoffice.xls", "fs_libreoffice_big.xls", "fs_encrypted.xls") {
		f.Add(data)
	}
	f.Add(append(bytes.Clone(oleMagic), make([]byte, 1024)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, "f.xls", data)
	})
}

// FuzzOpenCSV feeds text of every kind to Open under a .csv name.
func FuzzOpenCSV(f *testing.F) {
	for _, data := range addTestdata(f, "fs_gbk.csv", "fs_bom.csv") {
		f.Add(data)
	}
	for _, s := range []string{
		"姓名,天数\n\n张三,22\n,,\n",
		"a\tb\n\"多\n行\"\t2\n",
		"a;b\n\"x;y\";\"z\"\"\"\n",
		"\xFF\xFEa\x00,\x00b\x00\n\x00",
		"<html><table>",
		"\"未闭合,1\n2,3",
		"\r\n\r\n,\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, "f.csv", data)
	})
}
