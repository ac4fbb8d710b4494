package ingest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/qiancun/qiancun"
)

// keyShapes are strings near the shapes that pack: every length to 19, digits, X and x,
// leading zeros.
func keyShapes(r *rand.Rand, n int) []string {
	out := []string{"", "0", "00", "000000000000000000", "00000000000000000X", "0000000000000000000",
		"370112001001", "0370112001001", "370112001001 ", "37011219800101001X", "37011219800101001x",
		"370112198001010010", "99999999999999999X", "999999999999999999", "99999999999999999", "1",
		"91370100MA3C123459", "XM-1", "１２", "12.0", "ab", "ab\x00", "ab\x00\x00",
		"12345678901234567890123", "123456789012345678901234", "XM-370112-2024-000001-某某村"}
	const alphabet = "0000000001X"
	for range n {
		b := make([]byte, r.IntN(30))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		out = append(out, string(b))
	}
	return out
}

// TestPackKey checks that packing is exact: two strings pack to the same number only when
// they are the same string, and the keys said to pack do.
func TestPackKey(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[uint64]string{}
	for _, s := range keyShapes(r, 200_000) {
		p, ok := packKey(s)
		if !ok {
			continue
		}
		if p >= 1<<63 {
			t.Errorf("packKey(%q) = %d, not below 2^63", s, p)
		}
		if o, dup := seen[p]; dup && o != s {
			t.Fatalf("packKey(%q) = packKey(%q) = %d", s, o, p)
		}
		seen[p] = s
	}
	for _, s := range []string{qiancun.MakeID("37011219800101001"), "37011219800101008X", "370112001001", "370112001", "000000000000000000"} {
		if _, ok := packKey(s); !ok {
			t.Errorf("packKey(%q) does not pack", s)
		}
	}
	for _, s := range []string{"", "37011219800101008x", "1234567890123456789", "91370100MA3C123459", "3701120010 1"} {
		if _, ok := packKey(s); ok {
			t.Errorf("packKey(%q) packs", s)
		}
	}
}

// TestKeySet checks keySet against a map of strings on keys of every shape, some seen
// again, over several growths of the table.
func TestKeySet(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	keys := keyShapes(r, 20_000)
	var ks keySet
	ref := map[string]int{}
	for row := 2; row < 60_000; row++ {
		k := keys[r.IntN(len(keys))]
		if k == "" {
			continue
		}
		first, dup := ks.add(k, row)
		want, wantDup := ref[k]
		if dup != wantDup || dup && first != want {
			t.Fatalf("row %d: add(%q) = %d, %v; want %d, %v", row, k, first, dup, want, wantDup)
		}
		if !wantDup {
			ref[k] = row
		}
	}
	if len(ks.more) == 0 || len(ks.short) == 0 || ks.n == 0 {
		t.Errorf("%d packed, %d short and %d other keys: want all three kinds", ks.n, len(ks.short), len(ks.more))
	}
	if math.MaxInt > math.MaxUint32 {
		// A row beyond 2^32 does not pack; its key is still found, either way round.
		big := math.MaxUint32 + 10
		if _, dup := ks.add("11111111111111111X", big); dup {
			t.Error("a new key at a far row is a duplicate")
		}
		if first, dup := ks.add("11111111111111111X", 5); !dup || first != big {
			t.Errorf("add again = %d, %v; want %d, true", first, dup, big)
		}
	}
}

// heldBytes is the heap that make() holds once collected, less the heap before.
func heldBytes(make func() any) (uint64, any) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	x := make()
	runtime.GC()
	runtime.ReadMemStats(&after)
	return after.HeapAlloc - before.HeapAlloc, x
}

// BenchmarkDuplicateKeys reports the heap that duplicate-key detection holds for a file of
// 200,000 and 400,000 members, each key read as part of its row's text (the readers give a
// row's cells as slices of one string): keySet, and the map of strings it replaced, which
// held each row's text through its key.
//
//	go test ./ingest -run '^$' -bench DuplicateKeys -benchtime 1x
func BenchmarkDuplicateKeys(b *testing.B) {
	for _, n := range []int{200_000, 400_000} {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = qiancun.MakeID(fmt.Sprintf("3701121980%07d", i))
		}
		// row is the text of row i, made anew as a reader makes it; its key is in it.
		row := func(i int) (text, key string) {
			text = "张三" + ids[i] + "济南市某某局370112001001"
			return text, text[len("张三") : len("张三")+18]
		}
		for _, kind := range []string{"keyset", "string-map"} {
			b.Run(fmt.Sprintf("%s/%dk", kind, n/1000), func(b *testing.B) {
				var held uint64
				for b.Loop() {
					h, x := heldBytes(func() any {
						if kind == "string-map" {
							m := map[string]int{}
							for i := range n {
								_, k := row(i)
								m[k] = i + 2
							}
							return m
						}
						var ks keySet
						for i := range n {
							_, k := row(i)
							ks.add(k, i+2)
						}
						return &ks
					})
					runtime.KeepAlive(x)
					held = max(held, h)
				}
				b.ReportMetric(float64(held)/(1<<20), "held-MB")
				b.ReportMetric(float64(held)/float64(n), "held-B/key")
			})
		}
	}
}
