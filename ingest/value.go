package ingest

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qiancun/qiancun"
)

// foldWidth turns full-width ASCII (Ａ-Ｚ, ０-９, （）, ，, ：, ．) into half-width and the ideographic
// space into a space. ASCII-only strings are returned as they are, without allocating.
func foldWidth(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			return r - 0xFF01 + 0x21
		case r == 0x3000:
			return ' '
		case r == '。' || r == '．':
			return '.'
		}
		return r
	}, s)
}

// cleanCell trims spaces of every kind, and invisible characters (qiancun.Invisible: a BOM, a
// zero-width space), around a cell's text.
func cleanCell(s string) string {
	// Most cells have nothing to trim: look at the first and the last character before
	// anything else.
	if s == "" || keptFirst(s) && keptLast(s) {
		return s
	}
	return cleanCellText(s)
}

// cleanCellText is cleanCell's general path, for any text.
func cleanCellText(s string) string { return strings.TrimFunc(s, trimmed) }

// keptFirst reports whether cleanCell keeps the first character of s, which is not empty,
// looking at its first byte alone when it is ASCII or leads a CJK ideograph (U+4000-U+9FFF:
// lead bytes E4-E9, which no trimmed character has).
func keptFirst(s string) bool {
	switch b := s[0]; {
	case b < utf8.RuneSelf:
		return !trimmed(rune(b))
	case 0xE4 <= b && b <= 0xE9:
		return true
	}
	r, _ := utf8.DecodeRuneInString(s)
	return !trimmed(r)
}

// keptLast is keptFirst for the last character.
func keptLast(s string) bool {
	n := len(s)
	if b := s[n-1]; b < utf8.RuneSelf {
		return !trimmed(rune(b))
	}
	if n >= 3 && 0xE4 <= s[n-3] && s[n-3] <= 0xE9 && s[n-2]&0xC0 == 0x80 && s[n-1]&0xC0 == 0x80 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s)
	return !trimmed(r)
}

// trimmed reports whether cleanCell trims r.
func trimmed(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r'
	}
	return r == '\u3000' || r == '\u00a0' || qiancun.Invisible(r)
}

// isNil reports whether a cell says "nothing": empty, or one of the dashes and words that
// offices put in an empty number cell.
func isNil(s string) bool {
	switch s {
	case "", "-", "—", "——", "--", "/", "无", "－", "／", "\\":
		return true
	}
	return false
}

// numberError says why a number could not be read.
type numberError int

const (
	numOK numberError = iota
	numBad
	numNotInteger
)

// parseDecimal reads a decimal number in plain or scientific notation and returns it scaled
// by 10^scale, rounded half away from zero. Thousands separators and full-width digits must
// have been removed before.
func parseDecimal(s string, scale int) (int64, bool) {
	if s == "" {
		return 0, false
	}
	// Fast path: [+-]digits[.digits] with at most 18 significant digits.
	neg := false
	i := 0
	switch s[0] {
	case '-':
		neg, i = true, 1
	case '+':
		i = 1
	}
	var mant int64
	digits, frac := 0, -1
	fast := true
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if frac >= 0 {
				frac++
			}
			if mant == 0 && c == '0' && frac < 0 {
				digits = max(digits, 1)
				continue
			}
			digits++
			if digits > 18 {
				fast = false
			}
			mant = mant*10 + int64(c-'0')
		case c == '.' && frac < 0:
			frac = 0
		default:
			fast = false
		}
		if !fast {
			break
		}
	}
	if fast && digits > 0 {
		if frac < 0 {
			frac = 0
		}
		v, ok := rescale(mant, frac, scale)
		if neg {
			v = -v
		}
		return v, ok
	}
	// Slow path: exponents, long fractions.
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, false
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	return roundRat(r)
}

// rescale turns mant × 10^-frac into hundredths-like units × 10^scale, rounding half away
// from zero.
func rescale(mant int64, frac, scale int) (int64, bool) {
	d := scale - frac
	switch {
	case d >= 0:
		for ; d > 0; d-- {
			if mant > math.MaxInt64/10 {
				return 0, false
			}
			mant *= 10
		}
		return mant, true
	default:
		p := int64(1)
		for ; d < 0; d++ {
			p *= 10
			if p > 1e18 {
				return 0, true
			}
		}
		q, rem := mant/p, mant%p
		if rem*2 >= p {
			q++
		}
		return q, true
	}
}

func roundRat(r *big.Rat) (int64, bool) {
	num, den := new(big.Int).Set(r.Num()), r.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if m.Mul(m, big.NewInt(2)).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return 0, false
	}
	v := q.Int64()
	if neg {
		v = -v
	}
	return v, true
}

// normNumber removes what offices put around a number: spaces, full-width digits, thousands
// separators. It returns the cleaned text and the unit found at its end, if any.
func normNumber(s string) (string, string) {
	// A number as a spreadsheet stores it (ASCII, no separator) has nothing to remove:
	// every unit, currency sign and full-width character is beyond ASCII.
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || c == ',' || c == ' ' || c == '_' {
			plain = false
			break
		}
	}
	if plain {
		return s, ""
	}
	return normNumberText(s)
}

// normNumberText is normNumber's general path, for any text (normNumber takes it unless the
// text is plain ASCII without separators).
func normNumberText(s string) (string, string) {
	s = foldWidth(s)
	if strings.ContainsAny(s, ", _") {
		s = strings.NewReplacer(",", "", " ", "", "_", "").Replace(s)
	}
	if strings.ContainsRune(s, '，') {
		s = strings.ReplaceAll(s, "，", "")
	}
	unit := ""
	for _, u := range []string{"万元", "元", "万", "个", "户", "天", "人次", "人", "场次", "场", "次", "件", "项", "家"} {
		if strings.HasSuffix(s, u) {
			unit, s = u, strings.TrimSpace(strings.TrimSuffix(s, u))
			break
		}
	}
	if strings.HasPrefix(s, "¥") || strings.HasPrefix(s, "￥") {
		s = strings.TrimLeft(s, "¥￥")
	}
	return s, unit
}

// parseMoney reads an amount and returns it in fen. defUnit is the unit that applies when
// the cell names none: the header's, the sheet's, else 万元. converted reports that the
// amount was given in 万元 and multiplied.
func parseMoney(raw, defUnit string) (fen int64, converted bool, ok bool) {
	s, unit := normNumber(raw)
	switch unit {
	case "":
		unit = defUnit
	case "万":
		unit = "万元"
	case "元", "万元":
	default:
		return 0, false, false
	}
	scale := 2
	if unit == "万元" {
		scale = 6
	}
	v, ok := parseDecimal(s, scale)
	if v > maxFen || v < -maxFen {
		return 0, false, false
	}
	return v, unit == "万元", ok
}

// maxFen bounds an amount: 10^15 fen is ten trillion 元, beyond any real form and well
// inside DECIMAL(18,2).
const maxFen = 1_000_000_000_000_000

// parseInteger reads a whole number. A value such as "12.0" is whole; "12.5" is not.
func parseInteger(raw string) (int64, numberError) {
	if n, ok := plainInteger(raw); ok {
		return n, numOK
	}
	return parseIntegerText(raw)
}

// parseIntegerText is parseInteger's general path, for any text (parseInteger takes it
// unless plainInteger reads the text).
func parseIntegerText(raw string) (int64, numberError) {
	s, unit := normNumberText(raw)
	switch unit {
	case "", "个", "户", "天", "人次", "人", "场次", "场", "次", "件", "项", "家":
	default:
		return 0, numBad
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, numOK
	}
	v, ok := parseDecimal(s, 2)
	if !ok {
		return 0, numBad
	}
	if v%100 != 0 {
		return 0, numNotInteger
	}
	return v / 100, numOK
}

// plainInteger reads the common integer cell, an optional minus and at most 18 digits, as
// strconv.ParseInt would, without its error value; false means: take the long way.
func plainInteger(s string) (int64, bool) {
	i := 0
	if len(s) > 0 && s[0] == '-' {
		i = 1
	}
	if len(s) == i || len(s)-i > 18 {
		return 0, false
	}
	var n int64
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if s[0] == '-' {
		n = -n
	}
	return n, true
}

// excelEpoch is day 0 of Excel's 1900 date system, as it counts after its 1900 leap bug.
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// parseDate reads a date as an Excel serial, 2024-05-03, 2024/5/3, 2024.5.3 or 2024年5月3日.
func parseDate(raw string) (time.Time, bool) {
	s := foldWidth(cleanCell(raw))
	if s == "" {
		return time.Time{}, false
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 1 || f > 2958465 {
			return time.Time{}, false
		}
		return excelEpoch.AddDate(0, 0, int(f)), true
	}
	s = strings.TrimSuffix(s, "日")
	s = strings.TrimSuffix(s, "号")
	s = strings.NewReplacer("年", "-", "月", "-", "/", "-", ".", "-").Replace(s)
	if i := strings.IndexAny(s, " T"); i > 0 {
		s = s[:i] // a time of day after the date
	}
	parts := strings.Split(s, "-")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	y, e1 := strconv.Atoi(parts[0])
	m, e2 := strconv.Atoi(parts[1])
	d, e3 := strconv.Atoi(parts[2])
	if e1 != nil || e2 != nil || e3 != nil || y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, false // 2024-02-30
	}
	return t, true
}

// hasRuneError reports whether s holds invalid UTF-8 or U+FFFD, the character a decoder
// puts for bytes it could not read: strings.ContainsRune(s, utf8.RuneError), quicker.
func hasRuneError(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			continue
		}
		// A CJK ideograph (lead byte E4-E9 and two continuation bytes) is valid, and
		// not U+FFFD.
		if 0xE4 <= c && c <= 0xE9 && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
			i += 3
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError {
			return true
		}
		i += size
	}
	return false
}

// cutItem returns the first item of a multi-value cell and the rest after it, splitting as
// splitList does; item is "" when there is none left.
func cutItem(s string) (item, rest string) {
	start := -1
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		switch {
		case !listSeparator(r):
			if start < 0 {
				start = i
			}
		case start >= 0:
			return s[start:i], s[i:]
		}
		i += size
	}
	if start < 0 {
		return "", ""
	}
	return s[start:], ""
}

// listSeparator reports whether r separates the values of a multi-value cell.
func listSeparator(r rune) bool {
	switch r {
	case '、', ',', '，', ';', '；', ' ', '\u3000', '\n', '\t', '/':
		return true
	}
	return false
}

// splitList splits a multi-value cell on the contract's separators: 、 , ， ; ； and spaces.
func splitList(s string) []string {
	return strings.FieldsFunc(s, listSeparator)
}

// normCode reads a numeric code cell: digits only, full-width folded. A code that a
// spreadsheet stored as a number ("370112001001" or "3.70112001001E+11") comes back as its
// digits.
func normCode(s string) string {
	s = foldWidth(cleanCell(s))
	if strings.IndexByte(s, 'E') >= 0 || strings.IndexByte(s, 'e') >= 0 || strings.IndexByte(s, '.') >= 0 {
		if r, ok := new(big.Rat).SetString(s); ok && r.IsInt() {
			return r.Num().String()
		}
	}
	return s
}

func allDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
