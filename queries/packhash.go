package queries

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/qiancun/qiancun"
)

// RankingPackSHA256 is the hex SHA-256 of the packs a ranking of force is computed with:
// the appraisal pack (one for every force, driven by the rules) and months_received (the
// missing months), each as Pack.SHA256. A publication records it, so that a change to the
// SQL behind a result is seen.
func (e *Engine) RankingPackSHA256(force qiancun.Force) (string, error) {
	p := e.packs.Get(appraisalPack)
	m := e.packs.Get("months_received")
	if p == nil || m == nil {
		return "", fmt.Errorf("force %s has no appraisal pack", force)
	}
	h := sha256.New()
	h.Write([]byte(p.SHA256()))
	h.Write([]byte(m.SHA256()))
	return hex.EncodeToString(h.Sum(nil)), nil
}
