package api

import (
	"testing"

	"github.com/qiancun/qiancun"
)

// TestViewsDroppedWithTheVersion checks that the views of stale rankings are let go when
// the data version moves, as the engine lets go of the rankings.
func TestViewsDroppedWithTheVersion(t *testing.T) {
	t.Parallel()
	v := newViews([]byte("k"), "")
	r1, r2 := &qiancun.Ranking{}, &qiancun.Ranking{}
	if v.get(r1, 1) != v.get(r1, 1) {
		t.Error("the same ranking got two views")
	}
	v.get(r2, 2)
	if _, ok := v.m[r1]; ok || len(v.m) != 1 {
		t.Errorf("after the version moved, %d views are kept (the stale one: %v)", len(v.m), ok)
	}
}
