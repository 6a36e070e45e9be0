package gzseek

import (
	"testing"
	"time"
)

func TestPaceSaturated(t *testing.T) {
	for _, c := range []struct {
		name string
		pc   pace
		want bool
	}{
		{"two cores busy", pace{cores: 2, busy: 1900 * time.Millisecond, wall: time.Second}, true},
		{"one of two idle", pace{cores: 2, busy: 1300 * time.Millisecond, wall: time.Second}, false},
		{"one core busy", pace{cores: 1, busy: 600 * time.Millisecond, wall: time.Second}, true},
		{"many cores, two busy", pace{cores: 16, busy: 2 * time.Second, wall: time.Second}, false},
		{"too short to tell", pace{cores: 2, busy: 10 * time.Millisecond, wall: 5 * time.Millisecond}, false},
		{"no CPU time here", pace{cores: 2, busy: 2 * time.Second, wall: time.Second, unsupported: true}, false},
	} {
		if got := c.pc.saturated(); got != c.want {
			t.Errorf("%s: saturated %v, want %v", c.name, got, c.want)
		}
	}
}

// TestPaceSample checks that only stretches without workers are timed.
func TestPaceSample(t *testing.T) {
	if _, ok := cpuTime(); !ok {
		t.Skip("no process CPU time on this OS")
	}
	pc := newPace()
	spin := func(d time.Duration) {
		for end := time.Now().Add(d); time.Now().Before(end); {
		}
	}
	pc.sample(true) // starts the first stretch
	spin(30 * time.Millisecond)
	pc.working()
	pc.sample(true) // a worker ran: not timed
	if pc.wall != 0 {
		t.Fatalf("a stretch with a worker was timed: %v", pc.wall)
	}
	spin(30 * time.Millisecond)
	pc.sample(false) // workers still pending: not timed
	if pc.wall != 0 {
		t.Fatalf("a stretch with pending workers was timed: %v", pc.wall)
	}
	spin(30 * time.Millisecond)
	pc.sample(true)
	if pc.wall < 25*time.Millisecond || pc.busy < 10*time.Millisecond {
		t.Fatalf("an idle stretch of 30 ms spinning timed as %v wall, %v busy", pc.wall, pc.busy)
	}
}

func TestPaceHold(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		name        string
		pc          pace
		readerBound bool
		hold        bool
	}{
		{"not timed yet", pace{cores: 2, inside: 30 * ms, outside: 0}, false, true},
		{"decoding is the limit", pace{cores: 2, inside: 900 * ms, outside: 100 * ms}, false, false},
		{"reader waits on its consumer", pace{cores: 2, inside: 600 * ms, outside: 400 * ms}, true, true},
		{"short, but the reader waits", pace{cores: 2, inside: 10 * ms, outside: 15 * ms}, true, true},
		{"cores saturated", pace{cores: 2, inside: time.Second, busy: 1900 * ms, wall: time.Second}, false, true},
	} {
		if got := c.pc.readerBound(); got != c.readerBound {
			t.Errorf("%s: readerBound %v, want %v", c.name, got, c.readerBound)
		}
		if got := c.pc.hold(); got != c.hold {
			t.Errorf("%s: hold %v, want %v", c.name, got, c.hold)
		}
	}
}

// TestPaceEnterLeave checks that the time between Reads counts as
// outside and the time in them as inside.
func TestPaceEnterLeave(t *testing.T) {
	pc := newPace()
	pc.enter()
	time.Sleep(20 * time.Millisecond)
	pc.leave()
	time.Sleep(40 * time.Millisecond)
	pc.enter()
	pc.leave()
	if pc.inside < 15*time.Millisecond || pc.outside < 35*time.Millisecond {
		t.Fatalf("20 ms in a Read and 40 ms between timed as %v inside, %v outside", pc.inside, pc.outside)
	}
	if !pc.readerBound() {
		t.Fatalf("a reader outside Read two thirds of the time is not reader-bound")
	}
}
