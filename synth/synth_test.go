package synth_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/synth"
)

// generate writes a demo into a temporary directory and reads every file back.
func generate(t *testing.T, opt synth.Options) (synth.Summary, map[string]*sheetData) {
	t.Helper()
	dir := t.TempDir()
	var progressed []string
	opt.Progress = func(f string) { progressed = append(progressed, f) }
	sum, err := synth.Generate(context.Background(), dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(slices.Sorted(slices.Values(sum.Files)), slices.Sorted(slices.Values(progressed))); diff != "" {
		t.Errorf("progress reported other files than the summary (-summary +progress):\n%s", diff)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(sum.Files) {
		t.Errorf("%d files in the directory, the summary lists %d", len(entries), len(sum.Files))
	}
	files := map[string]*sheetData{}
	for _, path := range sum.Files {
		// Merged cells are counted in the small messy files only: excelize parses a whole
		// sheet to list them.
		big := slices.ContainsFunc([]string{"帮扶村名册", "产业项目台账", "第一书记", "村企联建"}, func(p string) bool {
			return strings.HasPrefix(filepath.Base(path), p)
		})
		sd, err := readFile(path, opt.Messy && !big)
		if err != nil {
			t.Fatal(err)
		}
		files[strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))] = sd
	}
	return sum, files
}

func demoMonths() []string { return []string{"2024-04", "2024-05", "2024-06"} }

// forceFiles maps force slugs to their file base names.
func forceFiles() map[qiancun.Force]string {
	return map[qiancun.Force]string{
		qiancun.FirstSecretary: "第一书记工作情况表", qiancun.Enterprise: "村企联建情况表", qiancun.Finance: "金融专员工作表",
		qiancun.Law: "法治专员工作表", qiancun.Postal: "邮政专员工作表", qiancun.Tech: "科技顾问工作表", qiancun.Culture: "文化顾问工作表",
	}
}

// TestDemo checks the clean demo: the published figures exactly, and every identifier and
// reference as the contract wants them.
func TestDemo(t *testing.T) {
	t.Parallel()
	sum, files := generate(t, synth.Options{})
	t.Run("published figures", func(t *testing.T) { checkFigures(t, sum, files) })
	t.Run("identifiers and references", func(t *testing.T) { checkReferences(t, files) })
}

func checkFigures(t *testing.T, sum synth.Summary, files map[string]*sheetData) {

	want := map[qiancun.Force]int{
		qiancun.FirstSecretary: 2383, qiancun.Enterprise: 1625, qiancun.Finance: 320, qiancun.Law: 388,
		qiancun.Postal: 190, qiancun.Tech: 460, qiancun.Culture: 100,
	}
	if diff := cmp.Diff(want, sum.Members); diff != "" {
		t.Errorf("summary members (-want +got):\n%s", diff)
	}
	if sum.Villages != 2429 || sum.Projects != 1430 || sum.FundsFen != 28_000_000_000 {
		t.Errorf("summary: %d villages, %d projects, %d fen; want 2429, 1430, 28000000000", sum.Villages, sum.Projects, sum.FundsFen)
	}
	if n := len(files["帮扶村名册"].rows); n != 2429 {
		t.Errorf("registry: %d villages, want 2429", n)
	}
	if n := len(files["产业项目台账"].rows); n != 1430 {
		t.Errorf("ledger: %d projects, want 1430", n)
	}
	if n := len(files); n != 2+7*3 {
		t.Errorf("%d files, want 23", n)
	}
	var funds int64
	for f, name := range forceFiles() {
		for _, m := range demoMonths() {
			sd := files[name+"_"+m]
			if sd == nil {
				t.Errorf("no file %s_%s", name, m)
				continue
			}
			if len(sd.rows) != want[f] {
				t.Errorf("%s_%s: %d rows, want %d", name, m, len(sd.rows), want[f])
			}
			if !strings.Contains(sd.title, monthTitle(m)) {
				t.Errorf("%s_%s: the title %q does not name the month", name, m, sd.title)
			}
			if f != qiancun.FirstSecretary {
				continue
			}
			for _, r := range sd.rows {
				fen, err := strconv.ParseInt(r["协调资金"], 10, 64)
				if err != nil || fen < 0 {
					t.Fatalf("%s_%s: 协调资金 %q", name, m, r["协调资金"])
				}
				funds += fen
			}
		}
	}
	if funds != 28_000_000_000 {
		t.Errorf("协调资金 over the months: %d fen, want 28,000 万元 = 28000000000 fen", funds)
	}
}

// monthTitle is how a clean title names a month: 2024-05 → 2024年5月.
func monthTitle(m string) string {
	y, mo, _ := strings.Cut(m, "-")
	n, _ := strconv.Atoi(mo)
	return fmt.Sprintf("%s年%d月", y, n)
}

// namesMonth reports whether a title names month m (2024-05) as the contract reads titles:
// 2024年5月, 2024年05月 or 2024.5.
func namesMonth(title, m string) bool {
	y, mo, _ := strings.Cut(m, "-")
	n, _ := strconv.Atoi(mo)
	for _, s := range []string{fmt.Sprintf("%s年%d月", y, n), fmt.Sprintf("%s年%s月", y, mo), fmt.Sprintf("%s.%d）", y, n)} {
		if strings.Contains(title, s) {
			return true
		}
	}
	return false
}

func checkReferences(t *testing.T, files map[string]*sheetData) {

	registry := map[string]map[string]string{}
	towns := map[string]string{} // town code → name
	for _, r := range files["帮扶村名册"].rows {
		code := r["村代码"]
		if len(code) != 12 || strings.Trim(code, "0123456789") != "" {
			t.Fatalf("village code %q", code)
		}
		if registry[code] != nil {
			t.Fatalf("village %s listed twice", code)
		}
		if qiancun.DistrictName(code[:6]) != r["区县"] {
			t.Errorf("village %s: 区县 %q, the code says %q", code, r["区县"], qiancun.DistrictName(code[:6]))
		}
		if name, ok := towns[code[:9]]; ok && name != r["镇街"] {
			t.Errorf("town %s named %q and %q", code[:9], name, r["镇街"])
		}
		towns[code[:9]] = r["镇街"]
		if !strings.HasSuffix(r["镇街"], "镇") && !strings.HasSuffix(r["镇街"], "街道") || !strings.HasSuffix(r["村名"], "村") {
			t.Errorf("village %s: 镇街 %q, 村名 %q", code, r["镇街"], r["村名"])
		}
		if z := r["管理主体"]; z != "" && z != "高新区" && z != "南部山区" && z != "起步区" {
			t.Errorf("village %s: 管理主体 %q", code, z)
		}
		registry[code] = r
	}

	keys := map[string]qiancun.Force{} // every member key, across the forces
	for f, name := range forceFiles() {
		var first map[string]string // key → villages (or town) in the first month
		for _, m := range demoMonths() {
			sd := files[name+"_"+m]
			seen := map[string]string{}
			covered := map[string]bool{}
			multi, low := 0, 0
			for _, r := range sd.rows {
				key := r["身份证号"]
				if f == qiancun.Enterprise {
					key = r["统一社会信用代码"]
					if !qiancun.ValidUSCC(key) {
						t.Errorf("%s_%s: bad USCC %s", name, m, key)
					}
				} else if !qiancun.ValidID(key) || qiancun.DistrictName(key[:6]) == "" || key[6:14] < "19600101" || key[6:14] > "19950101" {
					t.Errorf("%s_%s: bad ID %s", name, m, qiancun.MaskID(key))
				}
				if _, dup := seen[key]; dup {
					t.Errorf("%s_%s: member %s twice", name, m, qiancun.MaskID(key))
				}
				if other, ok := keys[key]; ok && other != f {
					t.Errorf("%s_%s: member %s also in %s", name, m, qiancun.MaskID(key), other)
				}
				keys[key] = f
				where := r["村代码"] + r["联建村代码"]
				if f == qiancun.Postal {
					where = r["联系镇街代码"]
					if _, ok := towns[where]; !ok {
						t.Errorf("%s_%s: town %s has no assisted village", name, m, where)
					}
				} else {
					codes := strings.Split(where, "、")
					if len(codes) > 1 {
						multi++
					}
					for _, c := range codes {
						if registry[c] == nil {
							t.Errorf("%s_%s: village %s not in the registry", name, m, c)
						}
						covered[c] = true
					}
					if len(slices.Compact(slices.Sorted(slices.Values(codes)))) != len(codes) {
						t.Errorf("%s_%s: a village twice in %s", name, m, where)
					}
				}
				seen[key] = where
				switch f {
				case qiancun.FirstSecretary:
					days, _ := strconv.Atoi(r["驻村天数"])
					if days > 31 {
						t.Errorf("%s_%s: 驻村天数 %d", name, m, days)
					}
					if days < 15 {
						low++
					}
				case qiancun.Enterprise:
					n := len(strings.Split(r["联建村代码"], "、"))
					if p := r["联建方式"]; p == "一对一" && n != 1 || p == "一对多" && n < 2 || p != "一对一" && p != "一对多" {
						t.Errorf("%s_%s: 联建方式 %s with %d villages", name, m, p, n)
					}
					for _, mode := range strings.Split(r["合作模式"], "、") {
						if !slices.Contains([]string{"股份合作", "经营合作", "技术合作", "品牌合作"}, mode) {
							t.Errorf("%s_%s: 合作模式 %q", name, m, mode)
						}
					}
				case qiancun.Tech:
					if l := r["层级"]; l != "市级" && l != "县级" && l != "乡级" {
						t.Errorf("%s_%s: 层级 %q", name, m, l)
					}
				}
			}
			if f != qiancun.Postal && f != qiancun.Culture && multi == 0 {
				t.Errorf("%s_%s: no member with several villages", name, m)
			}
			if f == qiancun.FirstSecretary {
				if len(covered) != len(registry) {
					t.Errorf("%s_%s: first secretaries reach %d villages, want all %d", name, m, len(covered), len(registry))
				}
				if low == 0 || low > len(sd.rows)/10 {
					t.Errorf("%s_%s: %d secretaries below 15 days, want a few", name, m, low)
				}
			}
			if first == nil {
				first = seen
			} else if diff := cmp.Diff(first, seen); diff != "" {
				t.Errorf("%s_%s: members or their villages differ from the first month (-first +this):\n%s", name, m, diff)
			}
		}
	}

	negative := 0
	for _, m := range demoMonths() {
		for _, r := range files["第一书记工作情况表_"+m].rows {
			if strings.HasPrefix(r["村集体增收"], "-") {
				negative++
			}
		}
	}
	if negative == 0 {
		t.Error("no first secretary with a negative 村集体增收")
	}

	ids := map[string]bool{}
	leads := []string{"第一书记", "企业团体", "金融专员", "法治专员", "邮政专员", "科技顾问", "文化顾问"}
	for _, r := range files["产业项目台账"].rows {
		if ids[r["项目编号"]] || !strings.HasPrefix(r["项目编号"], "XM2024-") {
			t.Errorf("project %q duplicate or malformed", r["项目编号"])
		}
		ids[r["项目编号"]] = true
		if registry[r["村代码"]] == nil {
			t.Errorf("project %s: village %s not in the registry", r["项目编号"], r["村代码"])
		}
		if !slices.Contains(leads, r["牵头力量"]) {
			t.Errorf("project %s: 牵头力量 %q", r["项目编号"], r["牵头力量"])
		}
		switch r["状态"] {
		case "谋划中":
		case "在建", "已完工":
			if r["开工日期"] == "" {
				t.Errorf("project %s %s without 开工日期", r["项目编号"], r["状态"])
			}
		default:
			t.Errorf("project %s: 状态 %q", r["项目编号"], r["状态"])
		}
	}
}

func fileHashes(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = fmt.Sprintf("%x", sha256.Sum256(b))
	}
	return out
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	for _, messy := range []bool{false, true} {
		t.Run(fmt.Sprintf("messy=%v", messy), func(t *testing.T) {
			t.Parallel()
			hashes := make([]map[string]string, 3)
			for i, seed := range []int64{3, 3, 4} {
				dir := t.TempDir()
				if _, err := synth.Generate(context.Background(), dir, synth.Options{Seed: seed, Messy: messy}); err != nil {
					t.Fatal(err)
				}
				hashes[i] = fileHashes(t, dir)
			}
			if diff := cmp.Diff(hashes[0], hashes[1]); diff != "" {
				t.Errorf("the same seed wrote different files (-first +second):\n%s", diff)
			}
			for name, h := range hashes[2] {
				if hashes[0][name] == h {
					t.Errorf("%s: seeds 3 and 4 wrote the same file", name)
				}
			}
		})
	}
}

// TestMessyCarriesTheSameFacts reads a messy demo and the clean demo of the same seed back
// and wants the same facts, row by row, and the untidiness the contract describes.
func TestMessyCarriesTheSameFacts(t *testing.T) {
	t.Parallel()
	sumClean, clean := generate(t, synth.Options{Seed: 11})
	sumMessy, messy := generate(t, synth.Options{Seed: 11, Messy: true})
	if diff := cmp.Diff(sumClean.Members, sumMessy.Members); diff != "" || sumClean.FundsFen != sumMessy.FundsFen {
		t.Errorf("summaries differ: funds %d vs %d, members %s", sumClean.FundsFen, sumMessy.FundsFen, diff)
	}
	var csvs, twoRow, hidden, extraSheets, totals, textNumbers, cellUnits, blank, merges int
	for name, c := range clean {
		m := messy[name]
		if m == nil {
			t.Errorf("%s: not in the messy output", name)
			continue
		}
		if diff := cmp.Diff(c.rows, m.rows); diff != "" {
			t.Errorf("%s: messy facts differ from clean (-clean +messy):\n%.2000s", name, diff)
		}
		if m.month != "" && !namesMonth(m.title, m.month) {
			t.Errorf("%s: the messy title %q does not name the month", name, m.title)
		}
		if c.skipped != 0 || c.blank != 0 || c.textNumbers != 0 || c.twoRowHead || c.hidden != 0 || c.sheets != 1 {
			t.Errorf("%s: the clean file is untidy: %+v", name, c)
		}
		if m.csv {
			csvs++
		}
		if m.twoRowHead {
			twoRow++
		}
		hidden += m.hidden
		if m.sheets > 1+m.hidden {
			extraSheets++
		}
		if m.skipped > 0 {
			totals++
		}
		textNumbers += m.textNumbers
		cellUnits += m.cellUnits
		blank += m.blank
		merges += m.merges
	}
	for what, n := range map[string]int{
		"GBK CSV files (one force, three months)": csvs, "two-row headers": twoRow, "hidden sheets": hidden,
		"说明 sheets": extraSheets, "totals or footer rows": totals, "numbers as text": textNumbers,
		"units in cells": cellUnits, "blank rows": blank, "merged cells": merges,
	} {
		if n == 0 || what[:3] == "GBK" && n != 3 {
			t.Errorf("messy output: %d %s", n, what)
		}
	}
}

func TestFirstSecretaryXLSX(t *testing.T) {
	t.Parallel()
	villages, err := synth.Villages(synth.Demo, 5)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, v := range villages[:300] {
		codes = append(codes, v.Code)
	}
	month := qiancun.Month{Year: 2024, Month: 5}
	write := func() []byte {
		var b bytes.Buffer
		if err := synth.FirstSecretaryXLSX(&b, month, codes, 1000, 9); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a, b := write(), write()
	if !bytes.Equal(a, b) {
		t.Error("the same arguments wrote different workbooks")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "第一书记工作情况表_2024-05.xlsx")
	if err := os.WriteFile(path, a, 0o644); err != nil {
		t.Fatal(err)
	}
	sd, err := readFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.rows) != 1000 {
		t.Errorf("%d rows, want 1000", len(sd.rows))
	}
	ids := map[string]bool{}
	for _, r := range sd.rows {
		if !qiancun.ValidID(r["身份证号"]) || ids[r["身份证号"]] {
			t.Errorf("ID %s invalid or repeated", qiancun.MaskID(r["身份证号"]))
		}
		ids[r["身份证号"]] = true
		for _, c := range strings.Split(r["村代码"], "、") {
			if !slices.Contains(codes, c) {
				t.Errorf("village %s not among the given codes", c)
			}
		}
	}

	var reg bytes.Buffer
	if err := synth.RegistryXLSX(&reg, villages); err != nil {
		t.Fatal(err)
	}
	regPath := filepath.Join(dir, "帮扶村名册.xlsx")
	if err := os.WriteFile(regPath, reg.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	rd, err := readFile(regPath, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(rd.rows) != len(villages) || rd.rows[0]["村代码"] != villages[0].Code {
		t.Errorf("registry: %d rows, first %v; want %d, %s", len(rd.rows), rd.rows[0], len(villages), villages[0].Code)
	}
}

func TestGenerateRejects(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]synth.Options{
		"unknown scale": {Scale: synth.Scale(9)},
		"month twice":   {Months: []qiancun.Month{{Year: 2024, Month: 5}, {Year: 2024, Month: 5}}},
		"no such month": {Months: []qiancun.Month{{Year: 2024, Month: 13}}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := synth.Generate(context.Background(), t.TempDir(), opt); err == nil {
				t.Error("no error")
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := synth.Generate(ctx, t.TempDir(), synth.Options{}); err == nil {
			t.Error("no error from a cancelled context")
		}
	})
	if err := synth.FirstSecretaryXLSX(io.Discard, qiancun.Month{Year: 2024, Month: 5}, nil, 10, 1); err == nil {
		t.Error("FirstSecretaryXLSX without villages: no error")
	}
}
