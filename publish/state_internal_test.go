package publish

import (
	"testing"

	"github.com/qiancun/qiancun"
)

// TestMoves holds the state machine to the contract, move by move: every (state, move)
// pair, allowed or not.
func TestMoves(t *testing.T) {
	t.Parallel()
	states := []qiancun.PublicationState{"", qiancun.Notice, qiancun.Final, qiancun.Withdrawn, qiancun.Superseded}
	moves := []qiancun.Move{qiancun.MovePublish, qiancun.MoveCorrect, qiancun.MoveFinalize, qiancun.MoveWithdraw, qiancun.MoveSupersede}
	allowed := map[[2]string]qiancun.PublicationState{
		{"", "publish"}:      qiancun.Notice,
		{"", "correct"}:      qiancun.Final,
		{"公示", "finalize"}:   qiancun.Final,
		{"公示", "withdraw"}:   qiancun.Withdrawn,
		{"已发布", "supersede"}: qiancun.Superseded,
	}
	for _, from := range states {
		for _, m := range moves {
			t.Run(string(from)+"/"+string(m), func(t *testing.T) {
				want, ok := allowed[[2]string{string(from), string(m)}]
				got, gotOK := next(from, m)
				if got != want || gotOK != ok {
					t.Errorf("next(%q, %s) = %q, %v; want %q, %v", from, m, got, gotOK, want, ok)
				}
				if !ok && refuseMove(1, from, m) == nil {
					t.Error("no refusal")
				}
			})
		}
	}
}
