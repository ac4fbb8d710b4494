package reports

// The engine keeps every value exact, in hundredths (fen for money, count × 100 for whole
// numbers, score × 100). A cell holds a double; these conversions divide two integers that
// a double holds exactly, which IEEE 754 rounds correctly, so the cell holds the double
// nearest the exact decimal. excelize writes a double in its shortest round-trip form cut
// to Excel's 15 significant digits: that is the exact decimal itself for any value of at
// most 15 digits, i.e. under 10^15 hundredths (10 万亿元).

// dec is a value in hundredths as a number: 1234 → 12.34.
func dec(h int64) float64 { return float64(h) / 100 }

// wan is an amount in fen as 万元: 123456 fen (1,234.56 元) → 0.123456.
func wan(fen int64) float64 { return float64(fen) / 1e6 }

// parseHundredths parses a decimal with at most two fraction digits, as the engine writes
// values, points and scores ("12.34", "-0.50", "7"), into hundredths.
func parseHundredths(s string) (int64, bool) {
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" {
		return 0, false
	}
	var v int64
	frac := -1 // digits after the point so far; -1 before it
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && frac < 0:
			frac = 0
		case c >= '0' && c <= '9':
			if frac >= 2 || v > (1<<62)/10 {
				return 0, false
			}
			v = v*10 + int64(c-'0')
			if frac >= 0 {
				frac++
			}
		default:
			return 0, false
		}
	}
	for frac = max(frac, 0); frac < 2; frac++ {
		v *= 10
	}
	if neg {
		v = -v
	}
	return v, true
}

// avg is sum / n rounded half away from zero, in the unit of sum.
func avg(sum, n int64) int64 {
	if n == 0 {
		return 0
	}
	q, r := sum/n, sum%n
	if r < 0 {
		r = -r
	}
	if 2*r >= n {
		if sum < 0 {
			q--
		} else {
			q++
		}
	}
	return q
}
