package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/qiancun/qiancun"
	"github.com/qiancun/qiancun/store"
)

// BundleFormat names the layout of a bundle, in its manifest.
const BundleFormat = "qiancun-publication-bundle/1"

// Manifest is a bundle's manifest.json: the publication's frozen header, its hash, and
// each Parquet file's SHA-256. With the files it is enough to recompute the hash.
type Manifest struct {
	Format      string       `json:"format"`
	Publication BundleHeader `json:"publication"`
	Hash        string       `json:"hash"`
	Members     int          `json:"members"`
	Files       []BundleFile `json:"files"`
}

// BundleHeader is the part of a publication's hashed content that is not in its Parquet
// files: the frozen header fields (the same ones Hash covers, in the same order) and the
// previous publication's hash.
type BundleHeader struct {
	frozenHeader
	PrevHash string `json:"previous_hash"`
}

// BundleFile is one file of a bundle.
type BundleFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// WriteBundle writes publication id as a bundle in root/<id>/: members.parquet,
// indicators.parquet, submissions.parquet and manifest.json. A bundle is immutable: an
// existing one is never overwritten (refused). It returns the bundle's directory.
func (s *Service) WriteBundle(ctx context.Context, id int64, root string) (string, error) {
	p, err := s.Get(ctx, id)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, strconv.FormatInt(id, 10))
	if _, err := os.Stat(dir); err == nil {
		return "", qiancun.Refusef("发布 #%d 的数据包已存在（%s），数据包不可覆盖", id, dir)
	}
	// A bundle holds full 身份证号: the directories are the owner's only (0700), the
	// files too (0600).
	if err := os.MkdirAll(root, 0o700); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(root, ".bundle-"+strconv.FormatInt(id, 10)+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) // nothing left once renamed
	names, err := s.st.WriteBundleFiles(ctx, id, tmp)
	if err != nil {
		return "", err
	}
	m := Manifest{Format: BundleFormat, Publication: headerOf(p), Hash: p.Hash, Members: len(p.Members)}
	for _, n := range names {
		f, err := fileSum(filepath.Join(tmp, n))
		if err != nil {
			return "", err
		}
		f.Name = n
		m.Files = append(m.Files, f)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(tmp, "manifest.json"), append(b, '\n'), 0o600); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", fmt.Errorf("put bundle in place: %w", err)
	}
	return dir, nil
}

func headerOf(p *qiancun.Publication) BundleHeader {
	return BundleHeader{frozenHeader: frozenOf(p), PrevHash: p.PrevHash}
}

func fileSum(path string) (BundleFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return BundleFile{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return BundleFile{}, err
	}
	return BundleFile{SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: n}, nil
}

// VerifyBundle checks the bundle in dir on its own, with no database but st's engine (an
// in-memory store does): each file against its SHA-256 in the manifest, each member row
// against its hash, and the publication's hash recomputed from the files and the manifest.
// It returns the first problem, or nil when the bundle holds; an error only when the
// bundle cannot be read at all.
func VerifyBundle(ctx context.Context, st *store.Store, dir string) (*Manifest, *Problem, error) {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, nil, fmt.Errorf("read bundle manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, nil, fmt.Errorf("bundle manifest: %w", err)
	}
	if m.Format != BundleFormat {
		return &m, nil, fmt.Errorf("bundle manifest: format %q, want %q", m.Format, BundleFormat)
	}
	id := m.Publication.ID
	for _, f := range m.Files {
		got, err := fileSum(filepath.Join(dir, filepath.Base(f.Name)))
		if errors.Is(err, fs.ErrNotExist) {
			return &m, &Problem{Publication: id, What: "file " + f.Name + " is missing"}, nil
		}
		if err != nil {
			return &m, nil, err
		}
		if got.SHA256 != f.SHA256 {
			return &m, &Problem{Publication: id, What: fmt.Sprintf("file %s edited: SHA-256 %s, manifest says %s", f.Name, short(got.SHA256), short(f.SHA256))}, nil
		}
	}
	body, err := st.ReadBundle(ctx, dir)
	if err != nil {
		return &m, nil, err
	}
	h := m.Publication
	p := &qiancun.Publication{
		ID: h.ID, Force: h.Force, Period: h.Period, Until: h.Until, CreatedBy: h.CreatedBy, Note: h.Note,
		Corrects: h.Corrects, Reason: h.Reason, Program: h.Program, RulesVersion: h.RulesVersion, RulesText: h.RulesText,
		RulesSHA256: h.RulesSHA256, PackSHA256: h.PackSHA256, KeyKind: h.KeyKind, QuotaScope: h.QuotaScope, Months: h.Months, Missing: h.Missing,
		PrevHash: h.PrevHash, Indicators: body.Indicators, Submissions: body.Submissions, Members: body.Members,
		RowHashes: body.RowHashes, MemberCount: m.Members, Hash: m.Hash,
	}
	if p.Indicators == nil {
		p.Indicators = []qiancun.IndicatorInfo{}
	}
	created, err := parseStamp(h.CreatedAt)
	if err != nil {
		return &m, &Problem{Publication: id, What: "manifest created_at: " + err.Error()}, nil
	}
	p.CreatedAt = created
	return &m, checkContent(p), nil
}
