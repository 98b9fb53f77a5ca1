//go:build !linux

package miniotest

import "syscall"

// sysProcAttr: without Linux's parent-death signal, Start's cleanup is what stops the server.
func sysProcAttr() *syscall.SysProcAttr { return nil }
