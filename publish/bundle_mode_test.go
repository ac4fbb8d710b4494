package publish_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestBundleIsPrivate: a bundle holds full 身份证号, so its directories are 0700 and its
// files 0600, whatever the umask.
func TestBundleIsPrivate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.ingest(t, "fs_2024-06.csv", fsJune(1, false))
	p := f.publish(t)
	root := filepath.Join(t.TempDir(), "bundles")
	dir, err := f.svc.WriteBundle(context.Background(), p.ID, root)
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		} else {
			files++
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", path, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files != 4 || filepath.Dir(dir) != root {
		t.Fatalf("%d files in %s, want 4 (three Parquet files and manifest.json)", files, dir)
	}
}
