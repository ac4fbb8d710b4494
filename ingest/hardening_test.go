package ingest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/ingest"
)

// fsCSV is a first secretaries' CSV of May 2024: the header, then rows.
func fsCSV(rows ...string) []byte {
	var sb strings.Builder
	for i, h := range fsHeader {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(h.(string))
	}
	sb.WriteByte('\n')
	for _, r := range rows {
		sb.WriteString(r)
		sb.WriteByte('\n')
	}
	return []byte(sb.String())
}

func fsRow(name, id string) string {
	return fmt.Sprintf("%s,%s,市委组织部,%s,20,10,1.5,1,0.5,2,1", name, id, v1)
}

// TestIssuesCapped: a file of thousands of duplicate rows gets a receipt of
// MaxIssuesPerRule examples and the count of the rest, kept by the store as well.
func TestIssuesCapped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 2600
	rows := make([]string, n)
	for i := range rows {
		rows[i] = fsRow("张三", id1)
	}
	rc := e.ingest(t, "第一书记_2024-05.csv", fsCSV(rows...), ingest.Options{})
	if rc.Status != qiancun.Rejected {
		t.Fatalf("status %s, want rejected", rc.Status)
	}
	dups := 0
	for _, is := range rc.Issues {
		if is.Rule == qiancun.DuplicateKey {
			dups++
		}
	}
	want := []qiancun.Omitted{{Rule: qiancun.DuplicateKey, Severity: qiancun.Error, Count: n - 1 - qiancun.MaxIssuesPerRule}}
	if dups != qiancun.MaxIssuesPerRule || rc.Errors() != n-1 {
		t.Errorf("listed %d duplicate_key, Errors() = %d; want %d listed and %d in all", dups, rc.Errors(), qiancun.MaxIssuesPerRule, n-1)
	}
	if diff := cmp.Diff(want, rc.Omitted); diff != "" {
		t.Errorf("omitted (-want +got):\n%s", diff)
	}
	stored, err := e.st.Receipt(context.Background(), rc.SubmissionID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, stored.Omitted); diff != "" {
		t.Errorf("stored omitted (-want +got):\n%s", diff)
	}
	if stored.Errors() != n-1 {
		t.Errorf("stored receipt counts %d errors, want %d", stored.Errors(), n-1)
	}
}

// TestIssueValuesMasked: whatever cell a 身份证号 sits in, the receipt shows it masked.
func TestIssueValuesMasked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	other := qiancun.MakeID("37011219700101009")
	data := fsCSV(
		fsRow("张三", id1),
		fmt.Sprintf("王五,%s,市委组织部,%s,40,10,1.5,1,0.5,2,1", id2, other), // an ID typed as a village code
		"注：联系人 "+other+"，电话 0531-1234567",
		"\uFEFF"+strings.Replace(fsRow("李四", "３７０１１２１９８５０２０２００２"), "李四", "", 1),
	)
	rc := e.ingest(t, "第一书记_2024-05_"+other+".csv", data, ingest.Options{DryRun: true})
	if len(rc.Issues) == 0 {
		t.Fatal("no issues")
	}
	if strings.Contains(rc.File, other) {
		t.Errorf("the receipt names the file %q", rc.File)
	}
	for _, is := range rc.Issues {
		for _, id := range []string{other, id1, id2, "３７０１１２"} {
			if strings.Contains(is.Value, id) || strings.Contains(is.Message, id) {
				t.Errorf("issue %s at %s shows %s: %+v", is.Rule, is.Cell, id, is)
			}
		}
	}
}

// TestBadEncoding: bytes that are not text in the file's encoding are bad_encoding at their
// cell; the rest of the file reads as usual.
func TestBadEncoding(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := string(fsCSV(fsRow("张三", id1), fsRow("李四", id2), fsRow("王五", id3)))
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(body)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		// 李四's name: its first byte replaced by one that starts no GBK character.
		{"invalid GBK", []byte(strings.Replace(gbk, mustGBK(t, "李四"), "\xFF"+mustGBK(t, "四"), 1))},
		// A stray byte in 李四's name in a UTF-8 file.
		{"stray byte in UTF-8", []byte(strings.Replace(body, "李四", "李\xA0四", 1))},
		{"stray byte in UTF-8 with a BOM", []byte("\xEF\xBB\xBF" + strings.Replace(body, "李四", "李\xA0四", 1))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := e.ingest(t, "第一书记_2024-05.csv", tt.data, ingest.Options{DryRun: true, AcceptValid: true})
			want := []issueKey{{Cell: "A3", Column: "姓名", Value: "", Rule: qiancun.BadEncoding}}
			got := errorsOf(rc)
			for i := range got {
				got[i].Value = "" // the value as decoded, with U+FFFD
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if rc.Status != qiancun.Partial || rc.Accepted != 2 {
				t.Errorf("status %s, %d accepted; want partial with the two good rows", rc.Status, rc.Accepted)
			}
		})
	}
}

func mustGBK(t *testing.T, s string) string {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestInvisibleAroundAValue: a BOM or a zero-width space pasted before or after a value is
// not part of it.
func TestInvisibleAroundAValue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rc := e.ingest(t, "第一书记_2024-05.csv", fsCSV(fsRow("张三", "\u200B"+id1+"\u200D"), fsRow("李四\u2060", "\uFEFF"+id2)), ingest.Options{DryRun: true})
	if rc.Status != qiancun.Accepted {
		t.Errorf("status %s: %+v", rc.Status, rc.Issues)
	}
}
