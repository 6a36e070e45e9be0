//go:build !unix

package main

import "syscall"

// detached returns the process attributes of a background mount server;
// mount serves on Linux only, so elsewhere there is nothing to set.
func detached() *syscall.SysProcAttr { return nil }
