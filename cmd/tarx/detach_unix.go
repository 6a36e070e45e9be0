//go:build unix

package main

import "syscall"

// detached returns the process attributes of a background mount server:
// a session of its own, so that it outlives the terminal of tarx mount.
func detached() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
