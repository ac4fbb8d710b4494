package reports_test

import (
	"mime"
	"testing"

	"github.com/qiancun/qiancun/reports"
)

func TestContentDisposition(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, want, parsed string
	}{
		{
			name:   "Chinese name: an ASCII fallback and the UTF-8 name",
			file:   "第一书记考核结果_2024-Q2_历城区.xlsx",
			want:   `attachment; filename="2024-Q2.xlsx"; filename*=UTF-8''%E7%AC%AC%E4%B8%80%E4%B9%A6%E8%AE%B0%E8%80%83%E6%A0%B8%E7%BB%93%E6%9E%9C_2024-Q2_%E5%8E%86%E5%9F%8E%E5%8C%BA.xlsx`,
			parsed: "第一书记考核结果_2024-Q2_历城区.xlsx",
		},
		{
			name:   "all Chinese: the fallback is download",
			file:   "回执.xlsx",
			want:   `attachment; filename="download.xlsx"; filename*=UTF-8''%E5%9B%9E%E6%89%A7.xlsx`,
			parsed: "回执.xlsx",
		},
		{
			name:   "ASCII name as a token",
			file:   "report.xlsx",
			want:   `attachment; filename=report.xlsx`,
			parsed: "report.xlsx",
		},
		{
			name:   "ASCII name that needs quoting",
			file:   `a "b".xlsx`,
			want:   `attachment; filename="a \"b\".xlsx"`,
			parsed: `a "b".xlsx`,
		},
		{
			name:   "no path, no header injection",
			file:   "../../etc/回执\r\nSet-Cookie: x=1.xlsx",
			want:   `attachment; filename="Set-Cookie: x=1.xlsx"; filename*=UTF-8''%E5%9B%9E%E6%89%A7Set-Cookie%3A%20x%3D1.xlsx`,
			parsed: "回执Set-Cookie: x=1.xlsx",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := reports.ContentDisposition(tt.file)
			if got != tt.want {
				t.Errorf("ContentDisposition(%q)\n got %s\nwant %s", tt.file, got, tt.want)
			}
			disp, params, err := mime.ParseMediaType(got)
			if err != nil || disp != "attachment" || params["filename"] != tt.parsed {
				t.Errorf("parsed back as %q %q %v, want the name %q", disp, params, err, tt.parsed)
			}
		})
	}
}
