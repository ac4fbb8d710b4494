// Package qiancun holds the domain words of the 万人下乡、千村提升 appraisal service: the seven
// supporting forces, periods, receipts and their rule codes, and the identifiers (身份证号,
// 统一社会信用代码, 村代码) with their checks and masking.
//
// It imports only the standard library, so every other package may depend on it.
package qiancun

import (
	"fmt"
	"slices"
)

// Force is the slug of one of the seven supporting forces ("1+1+N").
type Force string

// The seven forces, in the contract's order.
const (
	FirstSecretary Force = "first_secretary"
	Enterprise     Force = "enterprise"
	Finance        Force = "finance"
	Law            Force = "law"
	Postal         Force = "postal"
	Tech           Force = "tech"
	Culture        Force = "culture"
)

// KeyKind says which identifier keys a force's members.
type KeyKind string

// The two member keys of the contract.
const (
	KeyID   KeyKind = "id"   // 身份证号, personal data
	KeyUSCC KeyKind = "uscc" // 统一社会信用代码
)

// ForceInfo describes a force as the contract does.
type ForceInfo struct {
	Slug       Force   `json:"slug"`
	Name       string  `json:"name"`
	Department string  `json:"department"`
	Key        KeyKind `json:"key_kind"`
}

// Forces returns the seven forces in the contract's order. The slice is new on every call.
func Forces() []ForceInfo {
	return []ForceInfo{
		{FirstSecretary, "第一书记", "市委组织部", KeyID},
		{Enterprise, "企业团体", "市农业农村局", KeyUSCC},
		{Finance, "金融专员", "建设银行、济南农商银行 等", KeyID},
		{Law, "法治专员", "市委政法委", KeyID},
		{Postal, "邮政专员", "市邮政管理局 / 济南邮政分公司", KeyID},
		{Tech, "科技顾问", "市科协", KeyID},
		{Culture, "文化顾问", "市文化和旅游局 / 市文联", KeyID},
	}
}

// LookupForce returns the force with the slug s.
func LookupForce(s string) (ForceInfo, bool) {
	i := slices.IndexFunc(Forces(), func(f ForceInfo) bool { return string(f.Slug) == s })
	if i < 0 {
		return ForceInfo{}, false
	}
	return Forces()[i], true
}

// ForceByName returns the force whose Chinese name is name (项目台账's 牵头力量).
func ForceByName(name string) (ForceInfo, bool) {
	for _, f := range Forces() {
		if f.Name == name || (f.Slug == Enterprise && (name == "村企联建企业团体" || name == "企业")) {
			return f, true
		}
	}
	return ForceInfo{}, false
}

// ErrUnknownForce is returned for a slug that names no force.
type ErrUnknownForce string

func (e ErrUnknownForce) Error() string { return fmt.Sprintf("unknown force %q", string(e)) }

// Districts maps Jinan's district codes to their names, in code order.
func Districts() []District {
	return []District{
		{"370102", "历下区"}, {"370103", "市中区"}, {"370104", "槐荫区"}, {"370105", "天桥区"},
		{"370112", "历城区"}, {"370113", "长清区"}, {"370114", "章丘区"}, {"370115", "济阳区"},
		{"370116", "莱芜区"}, {"370117", "钢城区"}, {"370124", "平阴县"}, {"370126", "商河县"},
	}
}

// District is a county-level division: a 6-digit code and its name.
type District struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// DistrictName returns the name of the district with code, or "" when it is not Jinan's.
func DistrictName(code string) string {
	for _, d := range Districts() {
		if d.Code == code {
			return d.Name
		}
	}
	return ""
}
