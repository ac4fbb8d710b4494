package publish

import "github.com/qiancun/qiancun"

// transition is one allowed move of a publication: from a state, by a move, to a state.
// The empty state is "not yet published".
type transition struct {
	from qiancun.PublicationState
	move qiancun.Move
	to   qiancun.PublicationState
}

// transitions is the whole state machine (CONTRACT.md, "Publishing an appraisal"): every
// move not listed is refused. Conditions beyond the state (the end date, open objections)
// are checked by the operation that makes the move.
func transitions() []transition {
	return []transition{
		{"", qiancun.MovePublish, qiancun.Notice},                  // publish: 公示 until the end date
		{"", qiancun.MoveCorrect, qiancun.Final},                   // a correction is final at once
		{qiancun.Notice, qiancun.MoveFinalize, qiancun.Final},      // after the window
		{qiancun.Notice, qiancun.MoveWithdraw, qiancun.Withdrawn},  // only during 公示
		{qiancun.Final, qiancun.MoveSupersede, qiancun.Superseded}, // by a correction
	}
}

// next returns the state move leads to from from, or false when the move is not allowed.
func next(from qiancun.PublicationState, move qiancun.Move) (qiancun.PublicationState, bool) {
	for _, t := range transitions() {
		if t.from == from && t.move == move {
			return t.to, true
		}
	}
	return "", false
}

// moveName is a move as the refusals name it.
func moveName(m qiancun.Move) string {
	switch m {
	case qiancun.MovePublish:
		return "发布"
	case qiancun.MoveCorrect:
		return "更正"
	case qiancun.MoveFinalize:
		return "定稿"
	case qiancun.MoveWithdraw:
		return "撤回"
	case qiancun.MoveSupersede:
		return "更正（取代）"
	}
	return string(m)
}

// refuseMove is the refusal of a move the state machine does not allow.
func refuseMove(id int64, from qiancun.PublicationState, move qiancun.Move) error {
	why := ""
	switch {
	case move == qiancun.MoveWithdraw && from != qiancun.Notice:
		why = "：只有公示期内的发布可以撤回"
	case move == qiancun.MoveFinalize && from != qiancun.Notice:
		why = "：只有公示中的发布可以定稿"
	case move == qiancun.MoveSupersede && from != qiancun.Final:
		why = "：只有已发布（正式）的结果可以更正"
	}
	return qiancun.Refusef("发布 #%d 状态为%s，不能%s%s", id, from, moveName(move), why)
}
