package miniotest

import "syscall"

// sysProcAttr has the kernel kill MinIO if the test binary dies without cleaning up (a test
// timeout, a kill -9), so no server outlives its tests.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
