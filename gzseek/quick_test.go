package gzseek

import (
	"bytes"
	"io"
	"math/rand"
	"testing"

	"github.com/klauspost/compress/gzip"
)

func TestQuickResume(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var data []byte
	for i := 0; i < 200; i++ {
		if i%3 == 0 {
			b := make([]byte, rng.Intn(70000))
			rng.Read(b)
			data = append(data, b...)
		} else {
			for j := 0; j < rng.Intn(3000); j++ {
				data = append(data, []byte("hello world the quick brown fox ")[:rng.Intn(30)]...)
			}
		}
	}
	for _, lvl := range []int{0, 1, 6, 9} {
		var buf bytes.Buffer
		w, _ := gzip.NewWriterLevel(&buf, lvl)
		for off := 0; off < len(data); off += 100000 {
			end := min(off+100000, len(data))
			w.Write(data[off:end])
			w.Flush()
		}
		w.Close()
		z := buf.Bytes()
		var cps []Checkpoint
		s := NewScanner(bytes.NewReader(z), ScanOptions{Span: 64 << 10}, func(c Checkpoint) error { cps = append(cps, c); return nil })
		out, err := io.ReadAll(s)
		if err != nil {
			t.Fatal(lvl, err)
		}
		if !bytes.Equal(out, data) {
			t.Fatal("scan mismatch")
		}
		bad := 0
		for _, c := range cps {
			r, err := Resume(bytes.NewReader(z), int64(len(z)), c)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, data[c.Out:]) {
				bad++
				t.Errorf("level %d cp %+v: err %v", lvl, Checkpoint{Out: c.Out, In: c.In, Bit: c.Bit}, err)
			}
		}
		t.Logf("level %d: %d checkpoints, %d bad", lvl, len(cps), bad)
	}
}
