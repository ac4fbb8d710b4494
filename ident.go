package qiancun

import "strings"

// ValidID reports whether s is an 18-character 身份证号 whose last character is the GB 11643
// check digit (0-9 or X).
func ValidID(s string) bool {
	if len(s) != 18 {
		return false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		sum += int(c-'0') * weights[i]
	}
	return s[17] == IDCheck(sum)
}

// IDCheck returns the GB 11643 check character for a weighted sum of the first 17 digits.
func IDCheck(weightedSum int) byte {
	return "10X98765432"[weightedSum%11]
}

// MakeID completes a 17-digit prefix with its GB 11643 check character.
func MakeID(prefix17 string) string {
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(prefix17[i]-'0') * weights[i]
	}
	return prefix17 + string(IDCheck(sum))
}

// usccChars is the GB 32100 alphabet: digits and capitals without I, O, S, V, Z.
const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// ValidUSCC reports whether s is an 18-character 统一社会信用代码 with a correct GB 32100
// check character.
func ValidUSCC(s string) bool {
	if len(s) != 18 {
		return false
	}
	c, ok := usccCheck(s[:17])
	return ok && s[17] == c
}

func usccCheck(prefix string) (byte, bool) {
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(usccChars, prefix[i])
		if v < 0 {
			return 0, false
		}
		sum += v * usccWeights[i]
	}
	return usccChars[(31-sum%31)%31], true
}

// MakeUSCC completes a 17-character prefix with its GB 32100 check character.
func MakeUSCC(prefix17 string) string {
	c, _ := usccCheck(prefix17)
	return prefix17 + string(c)
}

// MaskID masks a 身份证号 as the contract shows it: the first 6 and the last 4 characters kept
// (370112********123X). A value too short to keep both is masked whole.
func MaskID(s string) string {
	r := []rune(s)
	if len(r) <= 10 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:6]) + strings.Repeat("*", len(r)-10) + string(r[len(r)-4:])
}

// MaskKey masks a member key of kind k: 身份证号 are masked, credit codes are public.
func MaskKey(k KeyKind, key string) string {
	if k == KeyID {
		return MaskID(key)
	}
	return key
}

// MaskText masks every 身份证号 inside a text that came from a department, wherever it
// reaches someone who is not an administrator: a footer line, a name cell, a value of a
// receipt. The text is first normalised as a reader would see it (full-width digits and X
// made ASCII, invisible characters such as a BOM or a zero-width space removed); then each
// run shaped like a GB 11643 number (17 digits and a digit or X, not part of a longer run of
// digits) is masked as MaskID does, its check digit not checked: a wrong one is still
// someone's number. A text with no such run comes back unchanged, byte for byte; one with a
// run comes back normalised.
//
// This is the one place that decides what looks like a 身份证号 in free text.
func MaskText(s string) string {
	if !mayHoldID(s) {
		return s
	}
	r := normaliseForMask(s)
	found := false
	for i := 0; i < len(r); {
		if !isDigit(r[i]) {
			i++
			continue
		}
		j := i
		for j < len(r) && isDigit(r[j]) {
			j++
		}
		n := j - i
		end := j
		if n == 17 && j < len(r) && (r[j] == 'X' || r[j] == 'x') {
			end = j + 1
			n = 18
		}
		if n == 18 {
			copy(r[i:end], []rune(MaskID(string(r[i:end]))))
			found = true
		}
		i = end
	}
	if !found {
		return s
	}
	return string(r)
}

// FoldID is s as MaskText reads it: trimmed, full-width digits and X made ASCII, invisible
// characters left out.
func FoldID(s string) string { return string(normaliseForMask(strings.TrimSpace(s))) }

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// mayHoldID is a quick test that s has at least 17 digits (ASCII or full-width), so that
// MaskText allocates nothing for ordinary text.
func mayHoldID(s string) bool {
	n := 0
	for _, r := range s {
		if isDigit(r) || r >= '０' && r <= '９' {
			if n++; n >= 17 {
				return true
			}
		}
	}
	return false
}

// normaliseForMask returns s as runes with full-width digits and X made ASCII and the
// invisible characters left out.
func normaliseForMask(s string) []rune {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		switch {
		case r >= '０' && r <= '９':
			r = '0' + (r - '０')
		case r == 'Ｘ' || r == 'ｘ':
			r = 'X'
		case Invisible(r):
			continue
		}
		out = append(out, r)
	}
	return out
}

// Invisible reports whether r is a character that shows nothing but can sit inside a
// value typed or pasted into a spreadsheet: a byte-order mark, a zero-width space or
// joiner, a soft hyphen, a direction mark, a word joiner.
func Invisible(r rune) bool {
	switch r {
	case '\uFEFF', '\u00AD', '\u180E', '\u200B', '\u200C', '\u200D', '\u200E', '\u200F',
		'\u2060', '\u2061', '\u2062', '\u2063', '\u2064', '\u202A', '\u202B', '\u202C', '\u202D', '\u202E':
		return true
	}
	return false
}

// FormulaLike reports whether a spreadsheet would take text typed as s for a formula: it
// starts with = + - or @, or a tab or carriage return (which some turn into one). Text from
// a department that goes back to people is neutralised: a workbook cell carries the quote
// prefix (Excel's leading apostrophe), a CSV field gets a leading apostrophe (CSVSafe).
func FormulaLike(s string) bool {
	return s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0
}

// CSVSafe is s as a CSV field that a spreadsheet opens as text: a FormulaLike s gets a
// leading apostrophe, as OWASP advises against CSV injection. Only text fields go through
// it: a negative number stays a number.
func CSVSafe(s string) string {
	if FormulaLike(s) {
		return "'" + s
	}
	return s
}
