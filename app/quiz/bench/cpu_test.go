package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// cpuUse is the CPU time (user + system, finished children included) this machine's processes
// had used at one moment: this benchmark process, PostgreSQL (every backend and the postmaster)
// and Redis. Two of them read around a timed phase say where its CPU went, which a profile of
// this process alone cannot.
type cpuUse struct{ Self, Postgres, Redis time.Duration }

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on Linux everywhere.
const clockTicks = 100

func readCPU() cpuUse {
	var u cpuUse
	self := os.Getpid()
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue
		}
		open, closing := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
		if open < 0 || closing < open {
			continue
		}
		name := string(b[open+1 : closing])
		f := bytes.Fields(b[closing+1:])
		if len(f) < 15 {
			continue
		}
		var ticks int64
		for _, i := range []int{11, 12, 13, 14} { // utime stime cutime cstime
			n, _ := strconv.ParseInt(string(f[i]), 10, 64)
			ticks += n
		}
		t := time.Duration(ticks) * time.Second / clockTicks
		pid, _ := strconv.Atoi(filepath.Base(d))
		switch {
		case pid == self:
			u.Self += t
		case name == "postgres":
			u.Postgres += t
		case name == "redis-server":
			u.Redis += t
		}
	}
	return u
}

// sub is the CPU used between before and u.
func (u cpuUse) sub(before cpuUse) cpuUse {
	return cpuUse{Self: u.Self - before.Self, Postgres: u.Postgres - before.Postgres, Redis: u.Redis - before.Redis}
}
