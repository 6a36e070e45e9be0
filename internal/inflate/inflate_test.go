package inflate

import (
	"bufio"
	"bytes"
	stdflate "compress/flate"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"testing/iotest"

	kpflate "github.com/klauspost/compress/flate"
	"github.com/tarx-dev/tarx/internal/testarchive"
)

// trailer is appended after every test stream; the decoder must leave the
// reader right on it.
var trailer = []byte("TRAILER!")

// blockEnd is one OnBlockEnd call.
type blockEnd struct {
	bit, out int64
	final    bool
	window   []byte
}

// result is what decode saw.
type result struct {
	out   []byte
	ends  []blockEnd
	bits  int64  // InputBits after EOF
	after []byte // what the reader held after the stream
	err   error
}

// decodeOpts controls how decode feeds the decoder.
type decodeOpts struct {
	bufSize  int  // bufio size (default 64 KiB)
	oneByte  bool // the source returns one byte per Read
	readSize int  // size of Read calls (default 32 KiB)
	windows  bool // record Window at every block end
	limit    int  // stop after this much output (0: no limit)
	// appendMode decodes with Append into buffers that start with
	// garbage and move to new ones, barely big enough, all the time.
	appendMode bool
}

// decoders saves decode from allocating a Decoder every time.
var decoders = sync.Pool{New: func() any { return new(Decoder) }}

// decode decodes comp (followed by trailer) with o.
func decode(comp []byte, opts Options, o decodeOpts) result {
	var src io.Reader = bytes.NewReader(append(comp[:len(comp):len(comp)], trailer...))
	if o.oneByte {
		src = iotest.OneByteReader(src)
	}
	if o.bufSize == 0 {
		o.bufSize = 64 << 10
	}
	if o.readSize == 0 {
		o.readSize = 32 << 10
	}
	br := bufio.NewReaderSize(src, o.bufSize)
	var r result
	var d *Decoder
	user := opts.OnBlockEnd
	opts.OnBlockEnd = func(bit, out int64, final bool) {
		e := blockEnd{bit: bit, out: out, final: final}
		if o.windows {
			e.window = bytes.Clone(d.Window())
		}
		r.ends = append(r.ends, e)
		if user != nil {
			user(bit, out, final)
		}
	}
	d = decoders.Get().(*Decoder)
	defer decoders.Put(d)
	d.Reset(br, opts)
	if o.appendMode {
		r.out, r.err = decodeAppend(d, o.limit)
		r.bits = d.InputBits()
		r.after, _ = io.ReadAll(br)
		return r
	}
	buf := make([]byte, o.readSize)
	for {
		n, err := d.Read(buf)
		r.out = append(r.out, buf[:n]...)
		if err != nil {
			if err != io.EOF {
				r.err = err
			}
			break
		}
		if o.limit > 0 && len(r.out) > o.limit {
			break
		}
	}
	r.bits = d.InputBits()
	r.after, _ = io.ReadAll(br)
	return r
}

// appendGarbage is what the buffers of decodeAppend start with: a
// back-reference that reaches it must fail as it does with Read.
var appendGarbage = bytes.Repeat([]byte("garbage!"), 5000)

// decodeAppend decodes with Append and returns the output.
func decodeAppend(d *Decoder, limit int) ([]byte, error) {
	skip := len(appendGarbage) - 1000
	dst := append(make([]byte, 0, skip+AppendRoom), appendGarbage[:skip]...)
	for i := 0; ; i++ {
		if cap(dst)-len(dst) < AppendRoom {
			// Move, as a caller growing its buffer does.
			grown := make([]byte, len(dst), len(dst)+AppendRoom+i%3*7000)
			copy(grown, dst)
			clear(dst[:cap(dst)])
			dst = grown
		}
		var err error
		dst, err = d.Append(dst)
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return dst[skip:], err
		}
		if limit > 0 && len(dst)-skip > limit {
			return dst[skip:], nil
		}
	}
}

// check decodes comp and compares the output to want, the reader position
// to the end of comp and the block ends to the input.
func check(t *testing.T, name string, comp, want []byte, o decodeOpts) {
	t.Helper()
	r := decode(comp, Options{}, o)
	if r.err != nil {
		t.Fatalf("%s: %v", name, r.err)
	}
	if !bytes.Equal(r.out, want) {
		t.Fatalf("%s: output differs at byte %d (got %d bytes, want %d)", name, firstDiff(r.out, want), len(r.out), len(want))
	}
	if !bytes.Equal(r.after, trailer) {
		t.Fatalf("%s: reader left at %q, want %q", name, r.after, trailer)
	}
	if (r.bits+7)/8 != int64(len(comp)) {
		t.Fatalf("%s: InputBits %d, stream is %d bytes", name, r.bits, len(comp))
	}
	if len(r.ends) == 0 || !r.ends[len(r.ends)-1].final {
		t.Fatalf("%s: no final block end reported", name)
	}
	last := r.ends[len(r.ends)-1]
	if last.bit != r.bits || last.out != int64(len(want)) {
		t.Fatalf("%s: final block end at bit %d out %d, want %d %d", name, last.bit, last.out, r.bits, len(want))
	}
	for i, e := range r.ends {
		if o.windows && !bytes.Equal(e.window, want[max(0, e.out-histSize):e.out]) {
			t.Fatalf("%s: window at block end %d (out %d) differs", name, i, e.out)
		}
	}
	for i, e := range r.ends[:len(r.ends)-1] {
		if e.final || e.bit > last.bit || e.out > last.out || (i > 0 && (e.bit <= r.ends[i-1].bit || e.out < r.ends[i-1].out)) {
			t.Fatalf("%s: bad block end %d: %+v", name, i, e)
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// goSource returns up to n bytes of Go source from GOROOT, or text.
func goSource(n int) []byte {
	var b []byte
	for _, name := range []string{"fmt/print.go", "net/http/server.go", "runtime/proc.go"} {
		data, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "src", name))
		if err == nil {
			b = append(b, data...)
		}
		if len(b) >= n {
			return b[:n]
		}
	}
	return append(b, testarchive.Text(7, n-len(b))...)
}

// runs returns data with back-references of every short distance.
func runs(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, 0, n+300)
	for len(b) < n {
		period := 1 + r.IntN(20)
		k := r.IntN(300)
		for i := range period {
			b = append(b, byte('a'+i+r.IntN(3)))
		}
		for range k {
			b = append(b, b[len(b)-period])
		}
	}
	return b[:n]
}

// corpus returns the test inputs.
func corpus() map[string][]byte {
	mixed := bytes.Join([][]byte{
		testarchive.Text(3, 12000), testarchive.Incompressible(4, 5000), make([]byte, 3000),
		runs(5, 12000), goSource(30000), testarchive.Text(3, 12000),
	}, nil)
	return map[string][]byte{
		"empty":  nil,
		"byte":   {'x'},
		"text":   testarchive.Text(1, 50000),
		"random": testarchive.Incompressible(2, 30000),
		"runs":   runs(6, 30000),
		"mixed":  mixed,
	}
}

// flusher is a compressor with Flush.
type flusher interface {
	io.WriteCloser
	Flush() error
}

// kpWriters holds klauspost writers by level+2.
var kpWriters [12]sync.Pool

// compress compresses data with compress/flate (kp false) or klauspost
// (kp true) at level, calling Flush after every flushEvery bytes if > 0.
func compress(tb testing.TB, data []byte, kp bool, level, flushEvery int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	var w flusher
	var err error
	if kp {
		// Writers are big: reuse them.
		pool := &kpWriters[level+2]
		kw, _ := pool.Get().(*kpflate.Writer)
		if kw == nil {
			kw, err = kpflate.NewWriter(&buf, level)
		} else {
			kw.Reset(&buf)
		}
		defer pool.Put(kw)
		w = kw
	} else {
		w, err = stdflate.NewWriter(&buf, level)
	}
	if err != nil {
		tb.Fatal(err)
	}
	step := len(data) + 1
	if flushEvery > 0 {
		step = flushEvery
	}
	for i := 0; i < len(data); i += step {
		w.Write(data[i:min(i+step, len(data))])
		if flushEvery > 0 {
			w.Flush()
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// reference decodes comp with klauspost.
func reference(tb testing.TB, comp []byte) []byte {
	tb.Helper()
	out, err := io.ReadAll(kpflate.NewReader(bytes.NewReader(comp)))
	if err != nil {
		tb.Fatalf("klauspost: %v", err)
	}
	return out
}

var levels = []int{stdflate.HuffmanOnly, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9}

func TestDifferential(t *testing.T) {
	for name, data := range corpus() {
		for _, kp := range []bool{false, true} {
			for _, level := range levels {
				if !kp && level != 0 && level != 1 && level != 6 && level != 9 && level != stdflate.HuffmanOnly {
					continue // fewer levels for compress/flate, to save time
				}
				for _, flush := range []int{0, 7919} {
					if flush > 0 && (len(data) < flush || (level%3 != 0 && level != stdflate.HuffmanOnly)) {
						continue // Flush with HuffmanOnly and levels 0, 3, 6, 9
					}
					lib := "std"
					if kp {
						lib = "kp"
					}
					label := fmt.Sprintf("%s/%s/level%d/flush%d", name, lib, level, flush)
					comp := compress(t, data, kp, level, flush)
					want := reference(t, comp)
					if !bytes.Equal(want, data) {
						t.Fatalf("%s: reference output differs", label)
					}
					check(t, label, comp, want, decodeOpts{})
					check(t, label+"/append", comp, want, decodeOpts{appendMode: true, windows: true})
				}
			}
		}
	}
}

// TestSmallInput feeds input a byte at a time through the smallest bufio
// buffer, and reads output in small pieces.
func TestSmallInput(t *testing.T) {
	data := corpus()["mixed"]
	for _, level := range []int{0, 1, 6, stdflate.HuffmanOnly} {
		comp := compress(t, data, true, level, 3001)
		for _, o := range []decodeOpts{
			{bufSize: 16, oneByte: true, readSize: 1},
			{bufSize: 16, readSize: 7},
			{bufSize: 100, oneByte: true},
			{bufSize: 4096, readSize: 100000},
			{bufSize: 16, oneByte: true, appendMode: true, windows: true},
		} {
			check(t, fmt.Sprintf("level%d/%+v", level, o), comp, data, o)
		}
	}
}

// gzipBody returns the deflate data of a single-member gzip file, or nil.
func gzipBody(gz []byte) []byte {
	if len(gz) < 18 || gz[0] != 0x1f || gz[1] != 0x8b || gz[2] != 8 {
		return nil
	}
	flg := gz[3]
	p := 10
	if flg&4 != 0 { // FEXTRA
		p += 2 + int(gz[p]) | int(gz[p+1])<<8
	}
	for _, f := range []byte{8, 16} { // FNAME, FCOMMENT
		if flg&f != 0 {
			p += bytes.IndexByte(gz[p:], 0) + 1
		}
	}
	if flg&2 != 0 { // FHCRC
		p += 2
	}
	return gz[p : len(gz)-8]
}

// externalInput is what the external compressors compress.
func externalInput() []byte {
	return bytes.Join([][]byte{goSource(150000), testarchive.Text(9, 100000), runs(10, 30000), testarchive.Incompressible(11, 20000)}, nil)
}

func TestExternal(t *testing.T) {
	data := externalInput()
	for _, tool := range []string{"gzip-6", "gzip-9", "pigz", "igzip-0", "igzip-3", "libdeflate-12", "zopfli"} {
		t.Run(tool, func(t *testing.T) {
			in := data
			if tool == "zopfli" {
				in = data[:60000]
			}
			comp := gzipBody(testarchive.External(t, in, tool))
			if comp == nil {
				t.Fatal("not a gzip file")
			}
			want := reference(t, comp)
			if !bytes.Equal(want, in) {
				t.Fatal("reference output differs")
			}
			check(t, tool, comp, want, decodeOpts{})
			check(t, tool+"/append", comp, want, decodeOpts{appendMode: true})
			checkResume(t, tool, comp, want)
		})
	}
}

// TestLarge decodes streams much longer than the output buffer, so that
// history slides many times, also in the middle of stored blocks.
func TestLarge(t *testing.T) {
	data := bytes.Join([][]byte{testarchive.Text(12, 500000), runs(13, 150000), goSource(150000), testarchive.Incompressible(14, 100000), testarchive.Text(12, 200000)}, nil)
	for _, level := range []int{0, 1, 6, stdflate.HuffmanOnly} {
		comp := compress(t, data, true, level, 0)
		check(t, fmt.Sprintf("level%d", level), comp, data, decodeOpts{})
		check(t, fmt.Sprintf("level%d/append", level), comp, data, decodeOpts{appendMode: true, windows: true})
		if level == 0 || level == 6 {
			check(t, fmt.Sprintf("level%d/small", level), comp, data, decodeOpts{bufSize: 16, readSize: 1000})
		}
	}
}
