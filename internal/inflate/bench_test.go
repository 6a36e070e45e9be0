package inflate

import (
	"archive/tar"
	"bufio"
	"bytes"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	kpflate "github.com/klauspost/compress/flate"
	"github.com/tarx-dev/tarx/internal/testarchive"
)

// benchInput is a deflate stream and its decompressed size.
type benchInput struct {
	comp []byte
	size int64
	skip string // why the input is unavailable
}

var (
	goSrcOnce sync.Once
	goSrc     benchInput
)

// goSrcTarGz returns a tar of $GOROOT/src compressed with gzip -6,
// made once in a temporary directory.
func goSrcTarGz() benchInput {
	goSrcOnce.Do(func() {
		gz, err := exec.LookPath("gzip")
		if err != nil {
			goSrc.skip = "gzip is not installed"
			return
		}
		dir, err := os.MkdirTemp("", "inflate-bench")
		if err != nil {
			goSrc.skip = err.Error()
			return
		}
		defer os.RemoveAll(dir)
		name := filepath.Join(dir, "src.tar")
		if err := writeTar(name, filepath.Join(runtime.GOROOT(), "src")); err != nil {
			goSrc.skip = err.Error()
			return
		}
		out, err := exec.Command(gz, "-6", "-n", "-c", name).Output()
		if err != nil {
			goSrc.skip = "gzip: " + err.Error()
			return
		}
		fi, _ := os.Stat(name)
		goSrc = benchInput{comp: gzipBody(out), size: fi.Size()}
	})
	return goSrc
}

// writeTar writes a tar of the directory tree root to name.
func writeTar(name, root string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	tw := tar.NewWriter(bw)
	err = filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
		if err != nil || !(de.IsDir() || de.Type().IsRegular()) {
			return err
		}
		fi, err := de.Info()
		if err != nil {
			return err
		}
		h, err := tar.FileInfoHeader(fi, "")
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(filepath.Dir(root), p)
		h.Name = filepath.ToSlash(rel)
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if de.IsDir() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	})
	if err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

var (
	textOnce sync.Once
	text     benchInput
)

// textInput returns 16 MiB of synthetic text compressed at level 6.
func textInput(b *testing.B) benchInput {
	textOnce.Do(func() {
		data := testarchive.Text(42, 16<<20)
		text = benchInput{comp: compress(b, data, false, 6, 0), size: int64(len(data))}
	})
	return text
}

func BenchmarkDecode(b *testing.B) {
	inputs := []struct {
		name string
		get  func(*testing.B) benchInput
	}{
		{"gosrc-gzip6", func(*testing.B) benchInput { return goSrcTarGz() }},
		{"text", textInput},
	}
	for _, in := range inputs {
		b.Run(in.name+"/tarx", func(b *testing.B) { benchDecode(b, in.get(b), false) })
		b.Run(in.name+"/klauspost", func(b *testing.B) { benchDecode(b, in.get(b), true) })
	}
}

// benchDecode decompresses in from a bufio.Reader into a 32 KiB buffer.
func benchDecode(b *testing.B, in benchInput, kp bool) {
	if in.skip != "" {
		b.Skip(in.skip)
	}
	b.SetBytes(in.size)
	br := bufio.NewReaderSize(nil, 64<<10)
	buf := make([]byte, 32<<10)
	var d Decoder
	kr := kpflate.NewReader(nil)
	b.ResetTimer()
	for b.Loop() {
		br.Reset(bytes.NewReader(in.comp))
		var r io.Reader
		if kp {
			kr.(kpflate.Resetter).Reset(br, nil)
			r = kr
		} else {
			d.Reset(br, Options{})
			r = &d
		}
		var n int64
		for {
			k, err := r.Read(buf)
			n += int64(k)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		if n != in.size {
			b.Fatalf("got %d bytes, want %d", n, in.size)
		}
	}
}

// BenchmarkMarker decodes the first 4 Mi symbols of each input (or all of
// it) with a MarkerDecoder, block by block, as a parallel scan's worker
// does before it cuts a piece whose markers persist. Against
// BenchmarkDecode it is the cost of not knowing the window.
func BenchmarkMarker(b *testing.B) {
	for name, get := range map[string]func(*testing.B) benchInput{
		"gosrc-gzip6": func(*testing.B) benchInput { return goSrcTarGz() },
		"text":        textInput,
	} {
		b.Run(name, func(b *testing.B) { benchMarker(b, get(b)) })
	}
}

func benchMarker(b *testing.B, in benchInput) {
	if in.skip != "" {
		b.Skip(in.skip)
	}
	br := bufio.NewReaderSize(nil, 64<<10)
	var m MarkerDecoder
	decode := func() int {
		br.Reset(bytes.NewReader(in.comp))
		m.Reset(br, 0)
		for {
			final, err := m.Block()
			if err != nil {
				b.Fatal(err)
			}
			if final || len(m.Output()) >= 4<<20 {
				return len(m.Output())
			}
		}
	}
	b.SetBytes(int64(decode()))
	b.ResetTimer()
	for b.Loop() {
		decode()
	}
}

// BenchmarkDynamicHeader reads the header of a dynamic Huffman block (code
// lengths) and builds its tables: a cost every block pays, and bgzip's
// members of 64 KiB one block each pay it most.
func BenchmarkDynamicHeader(b *testing.B) {
	comp := compress(b, testarchive.Text(5, 64<<10), false, 6, 0)
	r := bytes.NewReader(comp)
	br := bufio.NewReaderSize(r, 64<<10)
	var d Decoder
	for b.Loop() {
		r.Reset(comp)
		br.Reset(r)
		d.Reset(br, Options{})
		if err := d.need(3); err != nil || d.bits>>1&3 != 2 {
			b.Fatalf("no dynamic block at the start: %v", err)
		}
		d.drop(3)
		if err := d.dynamic(); err != nil {
			b.Fatal(err)
		}
	}
}
