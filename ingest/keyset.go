package ingest

import (
	"math"
	"strings"
)

// keySet remembers each member key of a sheet and the row it first came in, for the rule
// duplicate_key. A file of 200,000 members keeps 200,000 keys until its last row, so the
// common keys are held packed, exactly, in a uint64 each (packKey): a 身份证号 and a
// 12-digit 村代码 take 12 bytes a slot instead of a string and a map entry, and no longer
// hold the row they were read from. Keys that do not pack but are short (a 统一社会信用代码,
// most 项目编号) are kept in a fixed array of 24 bytes each (about 40 bytes a key, and
// nothing for the collector to scan); longer ones as strings of their own.
type keySet struct {
	// An open-addressing table with linear probing: keys[i] is a packed key plus one (so
	// that 0 is an empty slot, and a probe reads keys alone), rows[i] its first row.
	keys  []uint64
	rows  []uint32
	n     int  // slots in use
	bits  uint // len(keys) == 1<<bits
	short map[shortKey]uint32
	more  map[string]int
}

// shortKey holds a key of at most 23 bytes, and its length in the last byte, so that two
// keys are equal only when their strings are.
type shortKey [24]byte

// toShort makes the shortKey of s, if s is short enough.
func toShort(s string) (shortKey, bool) {
	var k shortKey
	if len(s) > len(k)-1 {
		return k, false
	}
	copy(k[:], s)
	k[len(k)-1] = byte(len(s))
	return k, true
}

// maxLoad bounds the share of the table in use, in sixteenths: linear probing stays short
// under 13/16, and 200,000 keys still fit 2^18 slots (3 MB).
const maxLoad = 13

// add records key as seen in row, and returns the row it was first seen in when it was
// seen before. Two keys are the same only when their strings are.
func (k *keySet) add(key string, row int) (first int, dup bool) {
	p, packed := packKey(key)
	if packed {
		if i, ok := k.find(p); ok {
			return int(k.rows[i]), true
		}
	}
	sk, short := toShort(key)
	if short && len(k.short) > 0 {
		if r, ok := k.short[sk]; ok {
			return int(r), true
		}
	}
	if len(k.more) > 0 {
		if r, ok := k.more[key]; ok {
			return r, true
		}
	}
	fits := row > 0 && uint64(row) <= math.MaxUint32
	if packed && fits {
		k.insert(p, uint32(row))
		return 0, false
	}
	if !packed && short && fits {
		if k.short == nil {
			k.short = map[shortKey]uint32{}
		}
		k.short[sk] = uint32(row)
		return 0, false
	}
	if k.more == nil {
		k.more = map[string]int{}
	}
	// A copy, so that the map does not hold the row the key was read from.
	k.more[strings.Clone(key)] = row
	return 0, false
}

// slot is where a packed key's probe sequence starts (Fibonacci hashing: the keys are
// decimal numbers, whose low bits alone would crowd).
func (k *keySet) slot(p uint64) uint64 { return (p * 0x9E3779B97F4A7C15) >> (64 - k.bits) }

// find returns the slot holding p.
func (k *keySet) find(p uint64) (int, bool) {
	if k.n == 0 {
		return 0, false
	}
	mask := uint64(len(k.keys) - 1)
	for i := k.slot(p); ; i = (i + 1) & mask {
		switch k.keys[i] {
		case 0:
			return 0, false
		case p + 1:
			return int(i), true
		}
	}
}

// insert puts p, which is not in the table, in it.
func (k *keySet) insert(p uint64, row uint32) {
	if (k.n+1)*16 > len(k.keys)*maxLoad {
		k.grow()
	}
	mask := uint64(len(k.keys) - 1)
	i := k.slot(p)
	for k.keys[i] != 0 {
		i = (i + 1) & mask
	}
	k.keys[i], k.rows[i] = p+1, row
	k.n++
}

// grow doubles the table (it starts at 1,024 slots).
func (k *keySet) grow() {
	keys, rows := k.keys, k.rows
	k.bits = max(k.bits+1, 10)
	k.keys, k.rows = make([]uint64, 1<<k.bits), make([]uint32, 1<<k.bits)
	k.n = 0
	for i, p := range keys {
		if p != 0 {
			k.insert(p-1, rows[i])
		}
	}
}

// packKey turns the keys that have a compact exact form into a uint64, and reports false
// for any other. Distinct strings never pack to the same number:
//   - 17 digits and a check character 0-9 or X (a 身份证号, or any 18 digits):
//     digits×11 + check, below 1.1×10^18 < 2^60;
//   - 1 to 17 digits (a 村代码, a 镇街代码): 1<<62 | length<<57 | digits, the length
//     keeping leading zeros apart, and 10^17 < 2^57.
//
// Every packed key is below 2^63, so that keySet may add one to it.
func packKey(s string) (uint64, bool) {
	n := len(s)
	if n == 0 || n > 18 {
		return 0, false
	}
	var d uint64
	for i := 0; i < min(n, 17); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d = d*10 + uint64(c-'0')
	}
	if n < 18 {
		return 1<<62 | uint64(n)<<57 | d, true
	}
	switch c := s[17]; {
	case c >= '0' && c <= '9':
		return d*11 + uint64(c-'0'), true
	case c == 'X':
		return d*11 + 10, true
	}
	return 0, false
}
