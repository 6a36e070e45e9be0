package extract

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
)

// procUmask reads the process umask from /proc/self/status (Linux 4.7+),
// which unlike umask(2) leaves it alone: setting it, even briefly, would
// race with other goroutines creating files.
func procUmask() (uint32, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte("Umask:")); ok {
			m, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 8, 32)
			return uint32(m), err == nil
		}
	}
	return 0, false
}
