//go:build race

package mount

// raceEnabled is set under the race detector, which makes inflating and
// serving several times slower: the mount tests then use fewer and
// smaller archives, so that make test stays within its time.
const raceEnabled = true
