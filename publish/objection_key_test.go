package publish_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/qiancun/qiancun"
)

// TestObjectionByMaskedKey: an objection may name its member by the masked key that every
// listing but an administrator's shows, when only one member has it; a masked key two
// members share, or one nobody has, is refused with a clear error.
func TestObjectionByMaskedKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Two first secretaries whose keys mask alike: same first 6 and last 4 digits.
	var twin1, twin2 string
	for d := 1; d <= 28 && twin2 == ""; d++ {
		id := qiancun.MakeID(fmt.Sprintf("37011219800%d%02d123", 1+d%9, d))
		switch {
		case twin1 == "":
			twin1 = id
		case id[14:] == twin1[14:]:
			twin2 = id
		}
	}
	if twin2 == "" {
		t.Fatal("no twin keys made")
	}
	f := newFixture(t)
	f.ingest(t, "fs_2024-06.csv", fsJune(1, false)+
		fmt.Sprintf("戊,%s,市科协,370112001002,22,8,0.5,1,0.2,1,1\n己,%s,市科协,370112001002,21,9,0.5,1,0.2,1,1\n", twin1, twin2))
	p := f.publish(t)

	o, err := f.svc.AddObjection(ctx, p.ID, qiancun.MaskID(idC), "丙", "化解纠纷数少算了")
	if err != nil {
		t.Fatal(err)
	}
	if o.MemberKey != idC || o.MemberName != "丙" {
		t.Errorf("the objection by masked key is against %s %s, want 丙 %s", o.MemberName, o.MemberKey, idC)
	}
	_, err = f.svc.AddObjection(ctx, p.ID, qiancun.MaskID(twin1), "戊", "x")
	refusal(t, err, "有多名成员的证件号显示为")
	_, err = f.svc.AddObjection(ctx, p.ID, qiancun.MaskID(idD), "丁", "我不在名单上")
	refusal(t, err, "没有证件号为")
	if o, err := f.svc.AddObjection(ctx, p.ID, twin2, "己", "x"); err != nil || o.MemberName != "己" {
		t.Errorf("the full key of a twin: %v %v", o, err)
	}
}
