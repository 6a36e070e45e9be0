//go:build unix && !linux

package extract

// procUmask: only Linux shows the umask without setting it.
func procUmask() (uint32, bool) { return 0, false }
