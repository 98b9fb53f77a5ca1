package cluster

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is the kernel's USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on Linux.
const clockTicks = 100

// procStat is what the harness reads from /proc/<pid>/stat.
type procStat struct {
	ppid int
	// cpu is utime+stime (the process's own) plus cutime+cstime (the children it reaped).
	cpu time.Duration
}

// readStat parses /proc/<pid>/stat. The command name (field 2) may hold spaces and parentheses,
// so the fields are counted from the last ')'.
func readStat(pid int) (procStat, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, false
	}
	return parseStat(string(b))
}

func parseStat(s string) (procStat, bool) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state): field N is f[N-3]. ppid 4, utime 14, stime 15, cutime 16, cstime 17.
	if len(f) < 15 {
		return procStat{}, false
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return procStat{}, false
	}
	var ticks int64
	for _, k := range []int{11, 12, 13, 14} {
		v, err := strconv.ParseInt(f[k], 10, 64)
		if err != nil {
			return procStat{}, false
		}
		ticks += v
	}
	return procStat{ppid: ppid, cpu: time.Duration(ticks) * time.Second / clockTicks}, true
}

// processTable reads every process's stat once: CPU by pid and children by parent.
type processTable struct {
	stat     map[int]procStat
	children map[int][]int
}

func readProcessTable() processTable {
	t := processTable{stat: map[int]procStat{}, children: map[int][]int{}}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return t
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, ok := readStat(pid)
		if !ok {
			continue
		}
		t.stat[pid] = st
		t.children[st.ppid] = append(t.children[st.ppid], pid)
	}
	return t
}

// treeCPU is the CPU time of pid and of every live descendant (postgres' backends are the
// postmaster's children; reaped ones are already in the parent's cutime/cstime).
func (t processTable) treeCPU(pid int) time.Duration {
	st, ok := t.stat[pid]
	if !ok {
		return 0
	}
	total := st.cpu
	for _, c := range t.children[pid] {
		total += t.treeCPU(c)
	}
	return total
}

// SelfCPU returns the calling process's own CPU time (user+sys, without its children): the
// harness's load generator.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
