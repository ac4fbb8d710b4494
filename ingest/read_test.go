package ingest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	xunicode "golang.org/x/text/encoding/unicode"
)

// readRow is one row as a test sees it.
type readRow struct {
	Num   int
	Cells []string
}

// readSheet is a sheet as a test sees it.
type readSheet struct {
	Info SheetInfo
	Rows []readRow
}

// readRows reads every row of a sheet.
func readRows(b Book, sheet string) ([]readRow, error) {
	it, err := b.Rows(sheet)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var rows []readRow
	for it.Next() {
		rows = append(rows, readRow{it.Num(), slices.Clone(it.Cells())})
	}
	return rows, it.Err()
}

// readAll opens a file and reads every sheet.
func readAll(name string, data []byte, lim Limits) ([]readSheet, error) {
	b, err := Open(name, data, lim)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	var out []readSheet
	for _, s := range b.Sheets() {
		rows, err := readRows(b, s.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, readSheet{s, rows})
	}
	return out, nil
}

func mustRead(t *testing.T, name string, data []byte) []readSheet {
	t.Helper()
	got, err := readAll(name, data, Limits{})
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return got
}

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// xlsxFile builds a workbook with excelize and returns its bytes.
func xlsxFile(t testing.TB, build func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	build(f)
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// patchZip rewrites the named part of a zip with edit.
func patchZip(t testing.TB, data []byte, part string, edit func(string) string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	found := false
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if zf.Name == part {
			body, found = []byte(edit(string(body))), true
		}
		w, err := zw.Create(zf.Name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatalf("no part %s", part)
	}
	return out.Bytes()
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fsSheets is the content of testdata/fs_libreoffice.xls(x): a notes sheet, the data sheet
// with a merged title, a blank row, formulas and a number stored as text, and a hidden list.
var fsSheets = []readSheet{
	{SheetInfo{Name: "填报说明", Rows: 1}, []readRow{{1, []string{"请按模板填写，不要修改表头"}}}},
	{SheetInfo{Name: "第一书记", Rows: 10}, []readRow{
		{1, []string{"济南市第一书记工作情况统计表（2024年5月）"}},
		{2, []string{"填报单位：市委组织部", "", "", "", "填报日期：2024-06-05"}},
		{4, []string{"序号", "姓名", "身份证号", "派出单位", "村代码", "驻村天数", "协调资金(万元)", "村集体增收(万元)", "开工日期"}},
		{5, []string{"1", "张三", "370112198503121236", "市委组织部", "370112001001", "22", "12.5", "-3.5", "45415"}},
		{6, []string{"2", "李四", "370102199001015670", "市财政局", "370102002003", "20", "3000", "-5", "45430"}},
		{7, []string{"3", "王小明", "370113200002290011", "市农业农村局", "370113100201、370113100202", "30", "0.3215", "1.25", "45444"}},
		// F6 holds "20" as text, which SUM leaves out; B9 is a text formula.
		{9, []string{"合计", "共3人", "", "", "", "52", "3012.8215", "-7.25"}},
		{10, []string{"填表人：王五"}},
	}},
	{SheetInfo{Name: "字典", Hidden: true, Rows: 2}, []readRow{{1, []string{"历城区"}}, {2, []string{"章丘区"}}}},
}

func TestReaderXLSX(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		build func(f *excelize.File)
		patch func(string) string // of xl/worksheets/sheet1.xml
		want  []readSheet
	}{{
		name: "blank row gap and sparse cells",
		build: func(f *excelize.File) {
			check(t, f.SetCellStr("Sheet1", "A1", "标题"))
			check(t, f.SetCellStr("Sheet1", "C4", "第四行C列"))
			check(t, f.SetCellStr("Sheet1", "A7", "第七行"))
		},
		want: []readSheet{{SheetInfo{Name: "Sheet1"}, []readRow{
			{1, []string{"标题"}}, {4, []string{"", "", "第四行C列"}}, {7, []string{"第七行"}},
		}}},
	}, {
		name: "numbers stored as text and as numbers",
		build: func(f *excelize.File) {
			check(t, f.SetCellStr("Sheet1", "A1", "20"))
			check(t, f.SetCellInt("Sheet1", "B1", 20))
			check(t, f.SetCellFloat("Sheet1", "C1", 12.5, -1, 64))
			check(t, f.SetCellStr("Sheet1", "D1", "370112198503121236"))
			check(t, f.SetCellStr("Sheet1", "E1", " 3,000元 "))
			check(t, f.SetCellFloat("Sheet1", "F1", -0.07, -1, 64))
			check(t, f.SetCellStr("Sheet1", "G1", "1E5"))
		},
		want: []readSheet{{SheetInfo{Name: "Sheet1"}, []readRow{
			{1, []string{"20", "20", "12.5", "370112198503121236", " 3,000元 ", "-0.07", "1E5"}},
		}}},
	}, {
		name: "numbers in exponent form as Excel writes them",
		build: func(f *excelize.File) {
			check(t, f.SetCellFloat("Sheet1", "A1", 1, -1, 64))
			check(t, f.SetCellFloat("Sheet1", "B1", 2, -1, 64))
		},
		patch: func(s string) string {
			s = strings.Replace(s, "<v>1</v>", "<v>3.7011219850312102E+17</v>", 1)
			return strings.Replace(s, "<v>2</v>", "<v>1.5E-3</v>", 1)
		},
		want: []readSheet{{SheetInfo{Name: "Sheet1"}, []readRow{
			{1, []string{"370112198503121000", "0.0015"}},
		}}},
	}, {
		name: "formula cached values",
		build: func(f *excelize.File) {
			check(t, f.SetCellInt("Sheet1", "A1", 2))
			check(t, f.SetCellInt("Sheet1", "B1", 40))
			check(t, f.SetCellInt("Sheet1", "C1", 42))
			check(t, f.SetCellFormula("Sheet1", "C1", "A1+B1"))
			check(t, f.SetCellFormula("Sheet1", "D1", "A1*0")) // never calculated: no value
		},
		want: []readSheet{{SheetInfo{Name: "Sheet1"}, []readRow{
			{1, []string{"2", "40", "42"}},
		}}},
	}, {
		name: "text formula result as Excel writes it",
		build: func(f *excelize.File) {
			check(t, f.SetCellInt("Sheet1", "A1", 7))
		},
		patch: func(s string) string {
			return strings.Replace(s, `<c r="A1"><v>7</v></c>`, `<c r="A1" t="str"><f>"第"&amp;7</f><v>第7</v></c>`, 1)
		},
		want: []readSheet{{SheetInfo{Name: "Sheet1"}, []readRow{{1, []string{"第7"}}}}},
	}, {
		name: "dates as serials",
		build: func(f *excelize.File) {
			check(t, f.SetCellValue("Sheet1", "A1", time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC)))
			check(t, f.SetCellValue("Sheet1", "B1", time.Date(2024, 5, 3, 12, 0, 0, 0, time.UTC)))
			check(t, f.SetCellStr("Sheet1", "C1", "2024年5月3日"))
		},
		want: []readSheet{{SheetInfo{Name: "Sheet1"}, []readRow{{1, []string{"45415", "45415.5", "2024年5月3日"}}}}},
	}, {
		name: "several sheets, one hidden",
		build: func(f *excelize.File) {
			check(t, f.SetSheetName("Sheet1", "说明"))
			_, err := f.NewSheet("数据")
			check(t, err)
			_, err = f.NewSheet("隐藏")
			check(t, err)
			check(t, f.SetSheetVisible("隐藏", false))
			check(t, f.SetCellStr("说明", "A1", "说明"))
			check(t, f.SetCellStr("数据", "B2", "数据"))
			check(t, f.SetCellStr("隐藏", "A1", "隐藏"))
		},
		want: []readSheet{
			{SheetInfo{Name: "说明"}, []readRow{{1, []string{"说明"}}}},
			{SheetInfo{Name: "数据"}, []readRow{{2, []string{"", "数据"}}}},
			{SheetInfo{Name: "隐藏", Hidden: true}, []readRow{{1, []string{"隐藏"}}}},
		},
	}, {
		name: "merged cells keep their value in the top left cell",
		build: func(f *excelize.File) {
			check(t, f.SetCellStr("Sheet1", "A1", "济南市第一书记工作情况统计表"))
			check(t, f.MergeCell("Sheet1", "A1", "D1"))
			check(t, f.SetCellStr("Sheet1", "A2", "姓名"))
			check(t, f.MergeCell("Sheet1", "A2", "A3"))
			check(t, f.SetCellStr("Sheet1", "B2", "资金情况"))
			check(t, f.MergeCell("Sheet1", "B2", "C2"))
			check(t, f.SetCellStr("Sheet1", "B3", "协调资金(万元)"))
			check(t, f.SetCellStr("Sheet1", "C3", "村集体增收(万元)"))
		},
		want: []readSheet{{SheetInfo{Name: "Sheet1"}, []readRow{
			{1, []string{"济南市第一书记工作情况统计表"}},
			{2, []string{"姓名", "资金情况"}},
			{3, []string{"", "协调资金(万元)", "村集体增收(万元)"}},
		}}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := xlsxFile(t, tt.build)
			if tt.patch != nil {
				data = patchZip(t, data, "xl/worksheets/sheet1.xml", tt.patch)
			}
			got := mustRead(t, "test.xlsx", data)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("sheets (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReaderRealFiles(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"fs_libreoffice.xls", "fs_libreoffice.xlsx"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want := slices.Clone(fsSheets)
			if strings.HasSuffix(name, ".xlsx") {
				want[0].Info.Rows = 0 // its dimension is "A1", which says nothing
			}
			got := mustRead(t, name, testdata(t, name))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("sheets (-want +got):\n%s", diff)
			}
		})
	}
	// The bigger file's stream lies in the regular FAT rather than the mini stream, and its
	// shared strings run on in a CONTINUE record.
	t.Run("fs_libreoffice_big.xls", func(t *testing.T) {
		t.Parallel()
		got := mustRead(t, "fs_libreoffice_big.xls", testdata(t, "fs_libreoffice_big.xls"))
		data := got[1]
		if diff := cmp.Diff(fsSheets[1].Rows, data.Rows[:len(fsSheets[1].Rows)]); diff != "" {
			t.Errorf("head rows (-want +got):\n%s", diff)
		}
		var want []readRow
		for i := range 200 {
			want = append(want, readRow{11 + i, []string{
				fmt.Sprint(4 + i), fmt.Sprintf("测试人员%03d号", i), "", fmt.Sprintf("济南市某某局第%d派驻工作组", i), "", "",
				fmt.Sprint(float64(i)*1.5 - 100),
			}})
		}
		if diff := cmp.Diff(want, data.Rows[len(fsSheets[1].Rows):]); diff != "" {
			t.Errorf("generated rows (-want +got):\n%s", diff)
		}
		if data.Info.Rows != 210 {
			t.Errorf("Rows = %d, want 210", data.Info.Rows)
		}
	})
}

// TestOpenFrom: a file read in pieces from a part of a file on disk (an *io.SectionReader
// that does not start at the file's start) reads as the same file in memory does, in every
// format; the .xlsx path too when excelize takes over.
func TestOpenFrom(t *testing.T) {
	t.Parallel()
	// An _x escape in a shared string makes the fast reader step aside for excelize.
	escaped := sheetXLSX(t, `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>2</v></c></row>`, []string{`<si><t>a_x0041_</t></si>`}, "", nil)
	files := map[string][]byte{"escaped.xlsx": escaped}
	for _, name := range []string{"fs_libreoffice.xlsx", "fs_libreoffice.xls", "fs_gbk.csv", "fs_bom.csv"} {
		files[name] = testdata(t, name)
	}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want := mustRead(t, name, data)
			const junk = "not part of the file"
			path := filepath.Join(t.TempDir(), name)
			check(t, os.WriteFile(path, append([]byte(junk), data...), 0o600))
			f, err := os.Open(path)
			check(t, err)
			defer f.Close()
			b, err := OpenFrom(name, io.NewSectionReader(f, int64(len(junk)), int64(len(data))), Limits{})
			check(t, err)
			defer b.Close()
			var got []readSheet
			for _, s := range b.Sheets() {
				rows, err := readRows(b, s.Name)
				check(t, err)
				got = append(got, readSheet{s, rows})
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("sheets (-Open +OpenFrom):\n%s", diff)
			}
		})
	}
}

func TestReaderCSV(t *testing.T) {
	t.Parallel()
	gbk := func(s string) []byte {
		b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	utf16le := func(s string) []byte {
		b, err := xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM).NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	fsHead := []readRow{
		{1, []string{"济南市第一书记工作情况统计表（2024年5月）"}},
		{2, []string{"填报单位：市委组织部", "", "", "", "填报日期：2024-06-05"}},
		{4, []string{"序号", "姓名", "身份证号", "派出单位", "村代码", "驻村天数", "协调资金(万元)", "村集体增收(万元)", "开工日期"}},
		{5, []string{"1", "张三", "370112198503121236", "市委组织部", "370112001001", "22", "12.5", "-3.5", "2024/5/3"}},
		{6, []string{"2", "李四", "370102199001015670", "市财政局", "370102002003", "20", "3,000", "-5", "2024/5/18"}},
		{8, []string{"合计", "共2人", "", "", "", "42", "3012.5", "-8.5"}},
		{9, []string{"填表人：王五"}},
	}
	tests := []struct {
		name  string
		file  string // name as uploaded
		data  []byte
		sheet string
		want  []readRow
	}{{
		name:  "GBK as Excel writes it, CRLF",
		file:  "fs_gbk.csv",
		data:  testdata(t, "fs_gbk.csv"),
		sheet: "fs_gbk", want: fsHead,
	}, {
		name: "UTF-8 with BOM and a quoted field over two lines",
		file: "fs_bom.csv",
		data: testdata(t, "fs_bom.csv"),
		want: []readRow{
			{1, []string{"序号", "姓名", "身份证号", "派出单位", "村代码", "驻村天数", "协调资金(万元)", "村集体增收(万元)", "开工日期", "备注"}},
			{2, []string{"1", "张三", "370112198503121236", "市委组织部", "370112001001", "22", "12.5", "-3.5", "2024-05-03", "走访农户\n共 35 户"}},
			{4, []string{"2", "李四", "370102199001015670", "市财政局", "370102002003,370102002004", "20", "3,000", "-5", "2024年5月18日"}},
		},
		sheet: "fs_bom",
	}, {
		name:  "UTF-8 without BOM, blank lines counted",
		file:  "五月.csv",
		data:  []byte("姓名,天数\n\n张三,22\n,,\n\n李四,20"),
		sheet: "五月",
		want:  []readRow{{1, []string{"姓名", "天数"}}, {3, []string{"张三", "22"}}, {6, []string{"李四", "20"}}},
	}, {
		name:  "GB18030 four-byte character",
		file:  "名单.csv",
		data:  gbk("姓名,村名\n王䶮,𠀀村\n"),
		sheet: "名单",
		want:  []readRow{{1, []string{"姓名", "村名"}}, {2, []string{"王䶮", "𠀀村"}}},
	}, {
		name:  "tab separated, money with commas",
		file:  `C:\Users\办公室\Desktop\五月报表.txt`,
		data:  []byte("济南市统计表\n姓名\t协调资金\t备注\n张三\t3,000\ta,b\n"),
		sheet: "五月报表",
		want:  []readRow{{1, []string{"济南市统计表"}}, {2, []string{"姓名", "协调资金", "备注"}}, {3, []string{"张三", "3,000", "a,b"}}},
	}, {
		name:  "semicolon separated",
		file:  "a/b/data.csv",
		data:  []byte("姓名;金额\n张三;12,5\n"),
		sheet: "data",
		want:  []readRow{{1, []string{"姓名", "金额"}}, {2, []string{"张三", "12,5"}}},
	}, {
		name:  "UTF-16 with BOM, as Excel saves Unicode text",
		file:  "unicode.txt",
		data:  utf16le("姓名\t天数\r\n张三\t22\r\n"),
		sheet: "unicode",
		want:  []readRow{{1, []string{"姓名", "天数"}}, {2, []string{"张三", "22"}}},
	}, {
		name:  "tab separated export named .xls",
		file:  "导出.xls",
		data:  gbk("姓名\t天数\n张三\t22\n"),
		sheet: "导出",
		want:  []readRow{{1, []string{"姓名", "天数"}}, {2, []string{"张三", "22"}}},
	}, {
		name:  "bare and unbalanced quotes taken as they are",
		file:  "q.csv",
		data:  []byte("备注,天数\n他说\"好\",3\n\"未闭合,4\n"),
		sheet: "q",
		want:  []readRow{{1, []string{"备注", "天数"}}, {2, []string{"他说\"好\"", "3"}}, {3, []string{"未闭合,4\n"}}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := mustRead(t, tt.file, tt.data)
			if len(got) != 1 || got[0].Info.Name != tt.sheet || got[0].Info.Hidden {
				t.Fatalf("sheets = %+v, want one named %q", got, tt.sheet)
			}
			if diff := cmp.Diff(tt.want, got[0].Rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReaderSniffComma(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want rune
	}{
		{"a,b,c\n1,2,3\n", ','},
		{"a\tb\n1\t2,5\n", '\t'},
		{"标题,,,,\na\tb\tc\n1\t2\t3\n4\t5\t6\n", '\t'},
		{"a;b\n1;2\n", ';'},
		{"\"x,y\";b\n1;2\n", ';'},
		{"只有一列\n第二行\n", ','},
		{"", ','},
	}
	for _, tt := range tests {
		if got := sniffComma([]byte(tt.text)); got != tt.want {
			t.Errorf("sniffComma(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestReaderRows(t *testing.T) {
	t.Parallel()
	// The ingester reads the head of every sheet, then the chosen one again in full.
	for _, name := range []string{"fs_libreoffice.xls", "fs_libreoffice.xlsx", "fs_gbk.csv"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := Open(name, testdata(t, name), Limits{})
			check(t, err)
			defer b.Close()
			sheet := b.Sheets()[min(1, len(b.Sheets())-1)].Name
			it, err := b.Rows(sheet)
			check(t, err)
			if !it.Next() || it.Num() != 1 {
				t.Fatalf("first row: Next false or Num %d", it.Num())
			}
			check(t, it.Close())
			if it.Next() {
				t.Error("Next after Close = true")
			}
			first, err := readRows(b, sheet)
			check(t, err)
			again, err := readRows(b, sheet)
			check(t, err)
			if diff := cmp.Diff(first, again); diff != "" || len(first) < 5 {
				t.Errorf("second reading (-first +second):\n%s", diff)
			}
			if _, err := b.Rows("没有这个表"); err == nil {
				t.Error("Rows of an unknown sheet: no error")
			}
		})
	}
}

func TestReaderLimits(t *testing.T) {
	t.Parallel()
	wide := xlsxFile(t, func(f *excelize.File) {
		check(t, f.SetCellStr("Sheet1", "A1", "表头"))
		check(t, f.SetCellStr("Sheet1", "A2", "a"))
		check(t, f.SetCellStr("Sheet1", "E2", "e"))
		check(t, f.SetCellStr("Sheet1", "A3", "a"))
	})
	tests := []struct {
		name string
		file string
		data []byte
		lim  Limits
		rows int // read before the error
		msg  string
	}{
		{"xlsx rows", "a.xlsx", wide, Limits{MaxRows: 2}, 2, "行数（含空行）超过上限（2 行）"}, // checked as the sheet streams
		{"xlsx columns", "a.xlsx", wide, Limits{MaxColumns: 4}, 1, "第 2 行的列数超过上限（4 列）"},
		{"xls rows", "a.xls", testdata(t, "fs_libreoffice.xls"), Limits{MaxRows: 9}, 0, "行数超过上限（9 行）"},
		{"xls columns", "a.xls", testdata(t, "fs_libreoffice.xls"), Limits{MaxColumns: 8}, 0, "列数超过上限（8 列）"},
		{"csv rows", "a.csv", []byte("a\n\nb\nc\n"), Limits{MaxRows: 3}, 2, "行数超过上限（3 行）"},
		{"csv blank lines", "a.csv", []byte("a\nb\n" + strings.Repeat(",,\n", 50)), Limits{MaxRows: 10}, 2, "行数超过上限（10 行）"},
		{"csv columns", "a.csv", []byte("a,b\na,b,c,,,\na,b,c,d\n"), Limits{MaxColumns: 3}, 2, "第 3 行的列数超过上限（3 列）"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := Open(tt.file, tt.data, tt.lim)
			var it Rows
			if err == nil { // a package over a limit is refused at once, a sheet as it streams
				defer b.Close()
				sheets := b.Sheets()
				it, err = b.Rows(sheets[min(1, len(sheets)-1)].Name)
			}
			if err == nil {
				n := 0
				for it.Next() {
					n++
				}
				if n != tt.rows {
					t.Errorf("read %d rows before the error, want %d", n, tt.rows)
				}
				err = it.Err()
			}
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(fe.Message, tt.msg) {
				t.Errorf("err = %v, want a FileError saying %q", err, tt.msg)
			}
		})
	}
}

// zipBomb returns an xlsx whose first sheet is declared to unpack to declared bytes while
// its deflate stream unpacks to actual bytes of '<'.
func zipBomb(t testing.TB, declared, actual uint64) []byte {
	t.Helper()
	base := xlsxFile(t, func(f *excelize.File) {})
	zr, err := zip.NewReader(bytes.NewReader(base), int64(len(base)))
	check2(t, err)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		if zf.Name != "xl/worksheets/sheet1.xml" {
			check2(t, zw.Copy(zf))
			continue
		}
		var comp bytes.Buffer
		fw, err := flate.NewWriter(&comp, flate.BestCompression)
		check2(t, err)
		chunk := bytes.Repeat([]byte("<"), 1<<20)
		for left := actual; left > 0; {
			n := min(left, uint64(len(chunk)))
			fw.Write(chunk[:n])
			left -= n
		}
		check2(t, fw.Close())
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name: zf.Name, Method: zip.Deflate,
			CompressedSize64: uint64(comp.Len()), UncompressedSize64: declared,
		})
		check2(t, err)
		w.Write(comp.Bytes())
	}
	check2(t, zw.Close())
	return out.Bytes()
}

func check2(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestReaderFileErrors(t *testing.T) {
	t.Parallel()
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	xlsx := testdata(t, "fs_libreoffice.xlsx")
	xls := testdata(t, "fs_libreoffice.xls")
	encrypted := func() []byte {
		f, err := excelize.OpenReader(bytes.NewReader(xlsx))
		check(t, err)
		defer f.Close()
		var buf bytes.Buffer
		_, err = f.WriteTo(&buf, excelize.Options{Password: "123456"})
		check(t, err)
		return buf.Bytes()
	}()
	// One byte of the first sheet's compressed data changed: the inflated text or its
	// checksum no longer matches.
	corrupt := func() []byte {
		zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
		check(t, err)
		for _, zf := range zr.File {
			if zf.Name == "xl/worksheets/sheet2.xml" {
				off, err := zf.DataOffset()
				check(t, err)
				c := slices.Clone(xlsx)
				c[off+int64(zf.CompressedSize64)/2] ^= 0x55
				return c
			}
		}
		t.Fatal("no sheet2.xml")
		return nil
	}()
	// The first LABELSST record points far past the shared string table, which makes
	// xlsReader index out of range.
	badSST := slices.Clone(xls)
	i := bytes.Index(badSST, []byte{0xFD, 0x00, 0x0A, 0x00})
	copy(badSST[i+10:], []byte{0xFF, 0xFF, 0xFF, 0x7F})
	big := xlsxFile(t, func(f *excelize.File) {
		sw, err := f.NewStreamWriter("Sheet1")
		check(t, err)
		for r := 1; r <= 20000; r++ {
			check(t, sw.SetRow(fmt.Sprintf("A%d", r), []any{"济南市第一书记工作情况统计表", r, 12.5}))
		}
		check(t, sw.Flush())
	})
	tests := []struct {
		name string
		file string
		data []byte
		lim  Limits
		msg  string
	}{
		{"empty", "a.xlsx", nil, Limits{}, msgEmpty},
		{"random bytes", "a.xlsx", random, Limits{}, msgNotXLSX},
		{"random bytes as csv", "a.csv", random, Limits{}, msgUnknown},
		{"random bytes behind a zip signature", "a.xlsx", append([]byte("PK\x03\x04"), random...), Limits{}, msgCorrupt},
		{"random bytes behind an OLE2 signature", "a.xls", append(slices.Clip(oleMagic), random...), Limits{}, msgCorrupt},
		{"truncated xlsx", "a.xlsx", xlsx[:len(xlsx)/2], Limits{}, msgCorrupt},
		{"truncated xls", "a.xls", xls[:len(xls)/2], Limits{}, msgCorrupt},
		{"xlsReader panics", "a.xls", badSST, Limits{}, msgPanic},
		{"encrypted xlsx", "a.xlsx", encrypted, Limits{}, msgEncrypted},
		{"encrypted xls, by LibreOffice", "a.xls", testdata(t, "fs_encrypted.xls"), Limits{}, msgEncrypted},
		{"zip bomb declaring its size", "a.xlsx", zipBomb(t, 3<<30, 1<<20), Limits{}, msgUnpacked},
		{"zip bomb lying about its size", "a.xlsx", zipBomb(t, 1000, 64<<20), Limits{}, msgCorrupt},
		{"corrupted sheet data", "a.xlsx", corrupt, Limits{}, msgCorrupt},
		{"sheet over the unpacked limit", "a.xlsx", big, Limits{MaxUnpackedBytes: 256 << 10}, msgUnpacked},
		{"file over the size limit", "a.xlsx", xlsx, Limits{MaxFileBytes: 1 << 10}, "文件过大（超过 1 KB），请拆分后上传"},
		{"web page saved as xls", "a.xls", []byte("\xEF\xBB\xBF <html><body><table><tr><td>姓名</td></tr></table>"), Limits{}, msgMarkup},
		{"Excel 2003 XML", "a.xls", []byte(`<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">`), Limits{}, msgMarkup},
		{"UTF-16 without BOM", "a.csv", []byte("a\x00,\x00b\x00\n\x00"), Limits{}, msgUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := readAll(tt.file, tt.data, tt.lim)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v (%T), want a *FileError", err, err)
			}
			if fe.Message != tt.msg {
				t.Errorf("Message = %q, want %q (err %v)", fe.Message, tt.msg, err)
			}
			if !strings.ContainsFunc(fe.Message, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
				t.Errorf("Message %q is not Chinese", fe.Message)
			}
		})
	}
}

func TestReaderOLEEncrypted(t *testing.T) {
	t.Parallel()
	// A directory entry as MS-CFB lays it out: the name in UTF-16LE, its length in bytes
	// with the NUL, and the object type (2, a stream).
	entry := func(name string, typ byte) []byte {
		e := make([]byte, 128)
		n := utf16le(name)
		copy(e, n)
		e[64], e[66] = byte(len(n)), typ
		return e
	}
	file := func(entries ...[]byte) []byte {
		b := append(slices.Clip(oleMagic), make([]byte, 512-len(oleMagic))...)
		for _, e := range entries {
			b = append(b, e...)
		}
		return b
	}
	tests := []struct {
		name string
		data []byte
		want bool
	}{
		{"encrypted package", file(entry("Root Entry", 5), entry("EncryptionInfo", 2), entry("EncryptedPackage", 2)), true},
		{"package only", file(entry("Root Entry", 5), entry("EncryptedPackage", 2)), true},
		{"workbook", file(entry("Root Entry", 5), entry("Workbook", 2)), false},
		{"a storage of that name", file(entry("Root Entry", 5), entry("EncryptedPackage", 1)), false},
		{"header only", file(), false},
	}
	for _, tt := range tests {
		if got := oleEncrypted(tt.data); got != tt.want {
			t.Errorf("%s: oleEncrypted = %v, want %v", tt.name, got, tt.want)
		}
	}
	if !oleEncrypted(testdataEncryptedXLSX(t)) {
		t.Error("excelize's encrypted xlsx not detected")
	}
	if oleEncrypted(testdata(t, "fs_libreoffice.xls")) || oleEncrypted(testdata(t, "fs_encrypted.xls")) {
		t.Error("an .xls taken for an encrypted xlsx")
	}
}

func testdataEncryptedXLSX(t *testing.T) []byte {
	f := excelize.NewFile()
	defer f.Close()
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf, excelize.Options{Password: "x"}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReaderRKValue(t *testing.T) {
	t.Parallel()
	// rkInt encodes an integer RK, flagged as divided by 100 when cents.
	rkInt := func(v int32, cents bool) uint32 {
		rk := uint32(v<<2) | 2
		if cents {
			rk |= 1
		}
		return rk
	}
	tests := []struct {
		rk   uint32
		want string
	}{
		{rkInt(22, false), "22"},
		{rkInt(-5, false), "-5"},
		{rkInt(-1250, true), "-12.5"},
		{rkInt(7, true), "0.07"},
		{rkInt(-(1 << 29), false), "-536870912"},
		{0x40290000, "12.5"},      // the high 32 bits of the double 12.5
		{0xC00C0000, "-3.5"},      // and of -3.5
		{0x40290000 | 1, "0.125"}, // 12.5 / 100
		{2, "0"},
	}
	for _, tt := range tests {
		if got := formatNumber(rkValue(tt.rk)); got != tt.want {
			t.Errorf("rkValue(%#x) = %s, want %s", tt.rk, got, tt.want)
		}
	}
}

func TestReaderBIFFString(t *testing.T) {
	t.Parallel()
	// A formula's text result too long for one record: the STRING record holds the
	// first characters, compressed, and a CONTINUE the rest, in UTF-16.
	rec := func(typ uint16, body []byte) []byte {
		return append([]byte{byte(typ), byte(typ >> 8), byte(len(body)), byte(len(body) >> 8)}, body...)
	}
	str := rec(recString, append([]byte{5, 0, 0}, "ab"...))
	cont := rec(recContinue, append([]byte{1}, utf16le("济南市")[:6]...))
	stream := append(str, cont...)
	b := &xlsBook{stream: stream, g: xlsGlobals{biff8: true}}
	if got := b.stringRecord(stream[4:len(str)], len(str)); got != "ab济南市" {
		t.Errorf("stringRecord = %q, want %q", got, "ab济南市")
	}
}

// BenchmarkReadXLSX compares reading a 100,000-row sheet through Open with excelize's own
// row iterator, the floor the reader should stay near.
func BenchmarkReadXLSX(b *testing.B) {
	data := xlsxFile(b, func(f *excelize.File) {
		sw, err := f.NewStreamWriter("Sheet1")
		check2(b, err)
		for r := 1; r <= 100_000; r++ {
			row := []any{r, "张三", "370112198503121236", "市委组织部", "370112001001", 22, 12.5, -3.5, 45415}
			check2(b, sw.SetRow(fmt.Sprintf("A%d", r), row))
		}
		check2(b, sw.Flush())
	})
	b.Run("excelize", func(b *testing.B) {
		for b.Loop() {
			f, err := excelize.OpenReader(bytes.NewReader(data))
			check2(b, err)
			rows, err := f.Rows("Sheet1")
			check2(b, err)
			for rows.Next() {
				if _, err := rows.Columns(excelize.Options{RawCellValue: true}); err != nil {
					b.Fatal(err)
				}
			}
			rows.Close()
			f.Close()
		}
	})
	b.Run("Open", func(b *testing.B) {
		for b.Loop() {
			bk, err := Open("a.xlsx", data, Limits{})
			check2(b, err)
			it, err := bk.Rows("Sheet1")
			check2(b, err)
			for it.Next() {
				_ = it.Cells()
			}
			check2(b, it.Err())
			it.Close()
			bk.Close()
		}
	})
}
