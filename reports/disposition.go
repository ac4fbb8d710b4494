package reports

import (
	"mime"
	"path"
	"strings"
	"unicode/utf8"
)

// ContentDisposition is the Content-Disposition header that offers filename for download
// under that name, Chinese included (RFC 6266): an ASCII filename for old clients, and the
// UTF-8 name percent-encoded in filename* (RFC 5987), which every current browser prefers:
//
//	attachment; filename="2024-Q2.xlsx"; filename*=UTF-8''%E7%AC%AC...%E6%9E%9C_2024-Q2.xlsx
//
// Directories and control characters are dropped from the name, so that neither a path nor
// a header can be smuggled in.
func ContentDisposition(filename string) string {
	name := filename
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	if strings.Trim(name, ". ") == "" {
		name = "download"
	}
	if ascii(name) {
		// A token or a quoted string, as mime writes it.
		return mime.FormatMediaType("attachment", map[string]string{"filename": name})
	}
	// mime writes a non-ASCII value as filename*=utf-8''<percent-encoded>.
	ext := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	ext = strings.TrimPrefix(ext, "attachment; ")
	ext = strings.Replace(ext, "filename*=utf-8''", "filename*=UTF-8''", 1)
	return `attachment; filename="` + asciiFallback(name) + `"; ` + ext
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// asciiFallback is name with the characters that are not printable ASCII, and the quote
// and backslash, replaced by underscores, runs of underscores made one, and underscores
// trimmed from the ends of the stem; "download" stands for a stem left with no letters or
// digits.
func asciiFallback(name string) string {
	var sb strings.Builder
	under := false
	for _, r := range name {
		if r < ' ' || r > '~' || r == '"' || r == '\\' {
			if !under {
				sb.WriteByte('_')
			}
			under = true
			continue
		}
		sb.WriteRune(r)
		under = false
	}
	s := sb.String()
	ext := path.Ext(s)
	if !ascii(ext) || strings.ContainsAny(ext, "_ ") {
		ext = ""
	}
	stem := strings.TrimSuffix(s, ext)
	for strings.Contains(stem, "__") {
		stem = strings.ReplaceAll(stem, "__", "_")
	}
	stem = strings.Trim(stem, "_ ")
	if strings.Trim(stem, "_ .-") == "" {
		stem = "download"
	}
	return stem + ext
}
