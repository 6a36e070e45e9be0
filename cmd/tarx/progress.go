package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
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
	bars   int           // bars not yet finished
	rc     chan any      // refresh requests to p
	stop   chan struct{} // closed when p is shut down
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
	return p.writeAbove(p.out, b)
}

// writeAbove writes b above the bars if any are drawn, else to w. mpb
// prints what is written to it at its next refresh, and drops it if it
// shuts down first; so a refresh is asked for, twice: the second request
// is taken only once the first was served.
func (p *progress) writeAbove(w io.Writer, b []byte) (int, error) {
	p.mu.Lock()
	c, rc, stop := p.p, p.rc, p.stop
	p.mu.Unlock()
	if c != nil {
		if n, err := c.Write(b); err == nil {
			for range 2 {
				select {
				case rc <- time.Now():
				case <-stop:
				}
			}
			return n, nil
		}
	}
	return w.Write(b)
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
	return s.p.writeAbove(s.p.stdout, b)
}

// A bar shows one step: bytes done of a total, with rate and ETA, and
// members done if the step counts them. Its methods may be called from
// several goroutines. A bar of a progress that draws nothing does nothing.
//
// mpb calls the decorators from its own goroutine while SetCurrent waits
// for that goroutine, so no lock is held across calls into mpb: the
// member counts are atomics.
type bar struct {
	p       *progress
	msg     string
	counted bool // show members
	once    sync.Once
	b       atomic.Pointer[mpb.Bar]
	total   atomic.Int64
	members atomic.Int64
	ofMem   atomic.Int64 // total members, 0 if unknown
}

// bar returns a new bar for a step named msg; with members, it shows
// the members done too. It is drawn on its first update.
func (p *progress) bar(msg string, members bool) *bar {
	return &bar{p: p, msg: msg, counted: members}
}

// update sets the bytes done and, if not 0, the total; it suits the
// Progress callbacks of package index.
func (b *bar) update(done, total int64) {
	if !b.p.on {
		return
	}
	b.once.Do(func() { b.b.Store(b.p.add(b, total)) })
	mb := b.b.Load()
	if mb == nil {
		return // done already
	}
	if total > 0 && b.total.Swap(total) != total {
		mb.SetTotal(total, false)
	}
	mb.SetCurrent(done)
}

// setMembers sets the members done and, if known, their total.
func (b *bar) setMembers(done, total int64) {
	b.members.Store(done)
	b.ofMem.Store(total)
}

// memberCount renders the members done.
func (b *bar) memberCount(decor.Statistics) string {
	if n := b.ofMem.Load(); n > 0 {
		return fmt.Sprintf(" %d/%d members", b.members.Load(), n)
	}
	return fmt.Sprintf(" %d members", b.members.Load())
}

// add creates the mpb bar of b.
func (p *progress) add(b *bar, total int64) *mpb.Bar {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.p == nil {
		p.rc, p.stop = make(chan any), make(chan struct{})
		p.p = mpb.New(mpb.WithOutput(p.out), mpb.WithWidth(30), mpb.WithManualRefresh(p.rc))
		go refresh(p.rc, p.stop)
	}
	p.bars++
	pre := []decor.Decorator{decor.Name(b.msg + " "), decor.CountersKibiByte("% .1f / % .1f")}
	if b.counted {
		pre = append(pre, decor.Any(b.memberCount))
	}
	return p.p.AddBar(total,
		mpb.PrependDecorators(pre...),
		mpb.AppendDecorators(decor.AverageSpeed(decor.SizeB1024(0), " % .1f"), decor.Name(" ETA "), decor.AverageETA(decor.ET_STYLE_GO)),
		mpb.BarRemoveOnComplete(),
	)
}

// done removes the bar, if one was drawn.
func (b *bar) done() {
	b.once.Do(func() {}) // no bar from now on
	mb := b.b.Swap(nil)
	if mb == nil {
		return
	}
	mb.Abort(true)
	mb.Wait()
	p := b.p
	p.mu.Lock()
	p.bars--
	var c *mpb.Progress
	var stop chan struct{}
	if p.bars == 0 {
		c, stop, p.p = p.p, p.stop, nil
	}
	p.mu.Unlock()
	if c != nil {
		close(stop)
		c.Wait()
	}
}

// refresh asks for a redraw ten times a second until stop is closed.
func refresh(rc chan<- any, stop <-chan struct{}) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			select {
			case rc <- now:
			case <-stop:
				return
			}
		case <-stop:
			return
		}
	}
}
