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
