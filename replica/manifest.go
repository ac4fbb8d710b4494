// Package replica owns snapshots and the read replicas that serve them. The primary (the one
// process that holds the DuckDB file) writes a snapshot: a consistent Parquet export of its
// database in a new, time-named subdirectory of a snapshots directory, with a manifest.json
// that carries every file's SHA-256, the store version and the latest publication per force;
// the subdirectory appears by an atomic rename and is never modified afterwards. A replica
// verifies a snapshot against its manifest, loads it into a database of its own and serves
// it; when a newer one appears it swaps to it atomically (requests in flight finish on the
// old one, new ones see the new one) and closes the old one once its requests have drained.
//
// See README.md.
package replica

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/qiancun/qiancun"
)

// ManifestName is the manifest's file name in a snapshot's directory.
const ManifestName = "manifest.json"

// idLayout names a snapshot by the moment it was taken, in UTC to the nanosecond, so that
// names sort as times do.
const idLayout = "20060102T150405.000000000Z"

// validID is what a snapshot's directory name looks like; anything else in a snapshots
// directory (a .tmp- directory being written, a stray file) is not a snapshot.
var validID = regexp.MustCompile(`^\d{8}T\d{6}\.\d{9}Z$`)

// Manifest describes one snapshot. It is written last, into the snapshot's directory, and
// names every other file there with its size and SHA-256.
type Manifest struct {
	// ID is the snapshot's name: its directory's name, the time it was taken.
	ID string `json:"id"`
	// CreatedAt is when the snapshot was taken (the export's transaction began).
	CreatedAt time.Time `json:"created_at"`
	// StoreVersion is the database's schema version (its highest migration); a replica
	// loads only a snapshot of its own build's version.
	StoreVersion int `json:"store_version"`
	// Publications is the latest publication of each force, by force slug; empty before the
	// first publication.
	Publications map[string]Publication `json:"publications"`
	// Files are every file of the snapshot but the manifest, by name.
	Files []File `json:"files"`
}

// Publication names one publication as a snapshot's manifest records it.
type Publication struct {
	ID          int64     `json:"id"`
	Period      string    `json:"period"`
	State       string    `json:"state"`
	Hash        string    `json:"hash,omitempty"` // the publication's own hash, where it has one
	PublishedAt time.Time `json:"published_at"`
}

// File is one file of a snapshot.
type File struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Exporter writes a consistent copy of a database into a directory that does not exist
// yet and says its schema version. *store.Store satisfies it.
type Exporter interface {
	Export(ctx context.Context, dir string) (version int, err error)
}

// Publications returns the latest publication of each force, by force slug.
type Publications func(ctx context.Context) (map[string]Publication, error)

// WriteOptions steer Write.
type WriteOptions struct {
	// Publications, when set, fills the manifest's latest publications.
	Publications Publications
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Write takes a snapshot of src into a new subdirectory of dir (created if need be). The
// export is written into a hidden .tmp- directory, hashed, described by its manifest,
// synced to disk and then renamed to its id: a reader never sees a partial snapshot.
func Write(ctx context.Context, src Exporter, dir string, opt WriteOptions) (*Manifest, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("snapshots directory: %w", err)
	}
	now := opt.Now().UTC()
	m := &Manifest{ID: now.Format(idLayout), CreatedAt: now, Publications: map[string]Publication{}}
	final := filepath.Join(dir, m.ID)
	if _, err := os.Stat(final); err == nil {
		return nil, fmt.Errorf("snapshot %s exists already", m.ID)
	}
	tmp := filepath.Join(dir, ".tmp-"+m.ID)
	ok := false
	defer func() {
		if !ok {
			_ = os.RemoveAll(tmp)
		}
	}()
	if opt.Publications != nil {
		pubs, err := opt.Publications(ctx)
		if err != nil {
			return nil, fmt.Errorf("latest publications: %w", err)
		}
		if pubs != nil {
			m.Publications = pubs
		}
	}
	v, err := src.Export(ctx, tmp)
	if err != nil {
		return nil, err
	}
	m.StoreVersion = v
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			return nil, fmt.Errorf("export wrote %s, which is not a regular file", e.Name())
		}
		f, err := hashFile(filepath.Join(tmp, e.Name()), true)
		if err != nil {
			return nil, err
		}
		f.Name = e.Name()
		m.Files = append(m.Files, f)
	}
	slices.SortFunc(m.Files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := writeSynced(filepath.Join(tmp, ManifestName), append(b, '\n')); err != nil {
		return nil, err
	}
	if err := syncDir(tmp); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, final); err != nil {
		return nil, fmt.Errorf("publish snapshot: %w", err)
	}
	ok = true
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	return m, nil
}

// Verify reads the manifest of the snapshot in dir and checks it against the files: the
// directory is named by the manifest's id, and holds exactly the files the manifest names,
// each of its size and SHA-256. The error says what differs.
func Verify(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if base := filepath.Base(dir); m.ID != base {
		return nil, fmt.Errorf("manifest names snapshot %q, its directory is %q", m.ID, base)
	}
	if len(m.Files) == 0 {
		return nil, errors.New("manifest lists no files")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	listed := map[string]File{}
	for _, f := range m.Files {
		if f.Name != filepath.Base(f.Name) || f.Name == ManifestName || strings.HasPrefix(f.Name, ".") {
			return nil, fmt.Errorf("manifest lists %q, which is not a file name of a snapshot", f.Name)
		}
		listed[f.Name] = f
	}
	for _, e := range entries {
		if e.Name() == ManifestName {
			continue
		}
		if _, ok := listed[e.Name()]; !ok {
			return nil, fmt.Errorf("file %s is not in the manifest", e.Name())
		}
	}
	for _, want := range m.Files {
		got, err := hashFile(filepath.Join(dir, want.Name), false)
		if err != nil {
			return nil, err
		}
		if got.Bytes != want.Bytes || got.SHA256 != want.SHA256 {
			return nil, fmt.Errorf("file %s was altered: %d bytes with SHA-256 %s, the manifest says %d bytes with SHA-256 %s",
				want.Name, got.Bytes, got.SHA256, want.Bytes, want.SHA256)
		}
	}
	return &m, nil
}

// List returns the ids of the snapshots in dir, newest first. A missing directory has none.
func List(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range entries {
		if e.IsDir() && validID.MatchString(e.Name()) {
			ids = append(ids, e.Name())
		}
	}
	slices.Sort(ids)
	slices.Reverse(ids)
	return ids, nil
}

// Prune removes all but the newest keep snapshots of dir (keep < 1 keeps everything), and
// the .tmp- directories of snapshots a crash left half written, if older than an hour.
func Prune(dir string, keep int, now time.Time) error {
	ids, err := List(dir)
	if err != nil {
		return err
	}
	var errs []error
	if keep > 0 && len(ids) > keep {
		for _, id := range ids[keep:] {
			errs = append(errs, os.RemoveAll(filepath.Join(dir, id)))
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Name(), ".tmp-")
		if !ok || !e.IsDir() {
			continue
		}
		if t, err := time.Parse(idLayout, name); err == nil && now.Sub(t) > time.Hour {
			errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
		}
	}
	return errors.Join(errs...)
}

// hashFile returns the size and SHA-256 of the file at path, having synced it to disk first
// when sync is set.
func hashFile(path string, sync bool) (File, error) {
	f, err := os.Open(path)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	if sync {
		if err := f.Sync(); err != nil {
			return File{}, err
		}
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return File{}, fmt.Errorf("read %s: %w", filepath.Base(path), err)
	}
	return File{Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

func writeSynced(path string, b []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// LatestPublications picks, from publications listed newest first (as the store lists
// them), the latest of each force: what a manifest records.
func LatestPublications(ps []qiancun.Publication) map[string]Publication {
	out := map[string]Publication{}
	for _, p := range ps {
		if _, ok := out[string(p.Force)]; ok {
			continue
		}
		out[string(p.Force)] = Publication{ID: p.ID, Period: p.Period, State: string(p.State), Hash: p.Hash, PublishedAt: p.CreatedAt.UTC()}
	}
	return out
}
