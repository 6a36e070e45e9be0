package index

import (
	"archive/tar"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/tarx-dev/tarx/internal/testarchive"
)

// TestBuild_Commits builds an index committing after every value, so that
// the member chunks, the tree and the superseded bits each span many
// transactions, and checks that it holds what an index built in few
// transactions holds.
func TestBuild_Commits(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	var entries []testarchive.Entry
	add := func(name string, i int) {
		data := fmt.Sprintf("%s %d\n", name, i)
		entries = append(entries, testarchive.Entry{Header: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644,
			Size: int64(len(data)), ModTime: t0.Add(time.Duration(i) * time.Minute)}, Data: []byte(data)})
	}
	for i := range 6000 {
		add(fmt.Sprintf("d%02d/sub%d/f%05d", i%40, i%3, i), i)
	}
	for i := 0; i < 6000; i += 7 { // later duplicates supersede the first ones
		add(fmt.Sprintf("d%02d/sub%d/f%05d", i%40, i%3, i), 6000+i)
	}
	p := writeArchive(t, testarchive.Gzip(t, testarchive.Tar(t, entries, tar.FormatPAX), testarchive.GoLevel6))
	dir := t.TempDir()
	open := func(name string, every int64) *Archive {
		opts := Options{IndexPath: filepath.Join(dir, name)}
		opts.commitBytes = every
		return mustOpen(t, p, opts)
	}
	few, many := open("few.tarx", 0), open("many.tarx", 1)
	defer few.Close()
	defer many.Close()

	walk := func(a *Archive) []Entry {
		var es []Entry
		if err := a.Walk(".", func(e *Entry) error { es = append(es, *e); return nil }); err != nil {
			t.Fatal(err)
		}
		return es
	}
	if got, want := walk(many), walk(few); !reflect.DeepEqual(got, want) {
		t.Fatalf("tree of %d entries, want %d, or entries differ", len(got), len(want))
	}
	mf, mm := members(t, few), members(t, many)
	if len(mm) != len(entries) || len(mf) != len(mm) {
		t.Fatalf("%d and %d members, want %d", len(mm), len(mf), len(entries))
	}
	superseded := 0
	for i := range mm {
		if !reflect.DeepEqual(mm[i], mf[i]) {
			t.Fatalf("member %d: %+v, want %+v", i, mm[i], mf[i])
		}
		if mm[i].Superseded {
			superseded++
		}
	}
	if want := (6000 + 6) / 7; superseded != want {
		t.Errorf("%d members superseded, want %d", superseded, want)
	}
	if problems, err := many.Verify(t.Context(), nil); err != nil || len(problems) > 0 {
		t.Errorf("Verify: %v %v", err, problems)
	}
}
