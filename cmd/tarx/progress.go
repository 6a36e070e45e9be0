package main

import (
	"io"
	"os"
	"sync"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// progress draws a bar on stderr while an index is built, only when
// stderr is a terminal; otherwise it is silent.
type progress struct {
	mu  sync.Mutex
	out io.Writer
	p   *mpb.Progress
	bar *mpb.Bar
	msg string
}

func newProgress(stderr io.Writer, msg string) *progress {
	return &progress{out: stderr, msg: msg}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// update is an index.Options.Progress callback.
func (p *progress) update(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar == nil {
		if !isTerminal(p.out) {
			return
		}
		p.p = mpb.New(mpb.WithOutput(p.out), mpb.WithWidth(40))
		p.bar = p.p.AddBar(total,
			mpb.PrependDecorators(decor.Name(p.msg+" "), decor.CountersKibiByte("% .1f / % .1f")),
			mpb.AppendDecorators(decor.AverageSpeed(decor.SizeB1024(0), " % .1f"), decor.Name(" ETA "), decor.AverageETA(decor.ET_STYLE_GO)),
		)
	}
	p.bar.SetCurrent(done)
}

// done removes the bar, if one was drawn.
func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Abort(false)
		p.p.Wait()
	}
}
