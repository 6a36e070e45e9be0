package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// progress draws bars on stderr for a command's long steps (index builds,
// extraction, verification), only when stderr is a terminal and
// --no-progress is not given; otherwise it draws nothing.
//
// It is also the command's stderr: while a bar is drawn, lines written to
// it go above the bar (through mpb), so error lines printed meanwhile are
// never garbled; otherwise they go straight to stderr. Lines for standard
// output go above the bar too when standard output is the same terminal.
type progress struct {
	mu     sync.Mutex
	out    io.Writer // stderr
	stdout io.Writer
	on     bool // draw bars
	p      *mpb.Progress
	bars   int // bars not yet finished
}

func newProgress(stdout, stderr io.Writer, disabled bool) *progress {
	return &progress{out: stderr, stdout: stdout, on: !disabled && isTerminal(stderr)}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Write writes a line (or lines) to stderr, above the bars if any.
func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	c := p.p
	p.mu.Unlock()
	if c != nil {
		if n, err := c.Write(b); err == nil {
			return n, nil
		}
	}
	return p.out.Write(b)
}

// Stdout returns the writer for lines of standard output (tar -v): above
// the bars when standard output is a terminal, else standard output.
func (p *progress) Stdout() io.Writer {
	if p.on && isTerminal(p.stdout) {
		return stdoutAbove{p}
	}
	return p.stdout
}

// stdoutAbove writes standard output lines above the bars while one is
// drawn.
type stdoutAbove struct{ p *progress }

func (s stdoutAbove) Write(b []byte) (int, error) {
	s.p.mu.Lock()
	c := s.p.p
	s.p.mu.Unlock()
	if c != nil {
		if n, err := c.Write(b); err == nil {
			return n, nil
		}
	}
	return s.p.stdout.Write(b)
}

// A bar shows one step: bytes done of a total, with rate and ETA, and
// members done if the step counts them. Its methods may be called from
// several goroutines. A bar of a progress that draws nothing does nothing.
type bar struct {
	p       *progress
	msg     string
	counted bool // show members
	mu      sync.Mutex
	b       *mpb.Bar
	total   int64
	members int64
	ofMem   int64 // total members, 0 if unknown
	start   time.Time
}

// bar returns a new bar for a step named msg; with members, it shows
// the members done too. It is drawn on its first update.
func (p *progress) bar(msg string, members bool) *bar {
	return &bar{p: p, msg: msg, counted: members, start: time.Now()}
}

// update sets the bytes done and the total; it suits the Progress
// callbacks of package index.
func (b *bar) update(done, total int64) {
	if !b.p.on {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b == nil {
		b.b = b.p.add(b, total)
	}
	if total != b.total && total > 0 {
		b.total = total
		b.b.SetTotal(total, false)
	}
	b.b.EwmaSetCurrent(done, time.Since(b.start))
}

// setMembers sets the members done and, if known, their total.
func (b *bar) setMembers(done, total int64) {
	b.mu.Lock()
	b.members, b.ofMem = done, total
	b.mu.Unlock()
}

// memberCount renders the members done.
func (b *bar) memberCount(decor.Statistics) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ofMem > 0 {
		return fmt.Sprintf(" %d/%d members", b.members, b.ofMem)
	}
	return fmt.Sprintf(" %d members", b.members)
}

// add creates the mpb bar of b.
func (p *progress) add(b *bar, total int64) *mpb.Bar {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.p == nil {
		p.p = mpb.New(mpb.WithOutput(p.out), mpb.WithWidth(30), mpb.WithAutoRefresh())
	}
	p.bars++
	pre := []decor.Decorator{decor.Name(b.msg + " "), decor.CountersKibiByte("% .1f / % .1f")}
	if b.counted {
		pre = append(pre, decor.Any(b.memberCount))
	}
	return p.p.AddBar(total,
		mpb.PrependDecorators(pre...),
		mpb.AppendDecorators(decor.EwmaSpeed(decor.SizeB1024(0), " % .1f", 30), decor.Name(" ETA "), decor.EwmaETA(decor.ET_STYLE_GO, 30)),
		mpb.BarRemoveOnComplete(),
	)
}

// done removes the bar, if one was drawn.
func (b *bar) done() {
	b.mu.Lock()
	mb := b.b
	b.b = nil
	b.mu.Unlock()
	if mb == nil {
		return
	}
	mb.Abort(true)
	mb.Wait()
	p := b.p
	p.mu.Lock()
	p.bars--
	var c *mpb.Progress
	if p.bars == 0 {
		c, p.p = p.p, nil
	}
	p.mu.Unlock()
	if c != nil {
		c.Wait()
	}
}
