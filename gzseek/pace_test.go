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
