package standalone

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/vanguard/vanguard/app/org"
	"github.com/vanguard/vanguard/app/search"
	"github.com/vanguard/vanguard/app/standalone/backup"
)

// derivedServices are services whose whole data dir a backup leaves out because the process
// rebuilds it: search's database holds only the index's state and pending syncs, and with no
// database its first reconcile finds generation 0 and reindexes everything from course's and
// quiz's feeds (search.Module.Reconcile).
var derivedServices = map[string]string{
	search.Name: "search/ (the search index and its state: rebuilt from course and quiz by a reindex on the first start)",
}

// BackupLayout is what a backup of the standalone data dir holds: every service's SQLite
// database but the derived ones (one instant for all), the keys (secrets/) and the media store
// (blob/, without its temporary files).
func BackupLayout() backup.Layout {
	l := backup.Layout{
		Databases: []string{path.Join(org.Name, org.Name+".db")},
		Dirs:      []string{"secrets", "blob"},
		Skip:      []string{"blob/.tmp"},
	}
	for _, name := range serviceNames() {
		if why, ok := derivedServices[name]; ok {
			l.Derived = append(l.Derived, why)
			continue
		}
		l.Databases = append(l.Databases, path.Join(name, name+".db"))
	}
	return l
}

const secretsWarning = "The archive holds the secrets (token signing key, ID-number key, ledger key, media and service keys) and\n" +
	"every member's data: it is readable by its owner only (mode 0600); keep it encrypted and offline."

// BackupCommand runs "vanguard backup" or "vanguard restore" (args[0]) and returns the exit
// status: 0 done, 1 failed or refused (nothing changed), 2 bad usage.
func BackupCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: vanguard backup|restore …")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defaultDir := envOr("VANGUARD_DATA_DIR", "data")
	switch args[0] {
	case "backup":
		fs := flag.NewFlagSet("vanguard backup", flag.ContinueOnError)
		fs.SetOutput(stderr)
		dir := fs.String("data", defaultDir, "the data directory (default: $VANGUARD_DATA_DIR or ./data)")
		out := fs.String("o", "", "the archive to write, e.g. vanguard-$(date +%F).tar.gz (required)")
		fs.Usage = func() {
			fmt.Fprintln(stderr, "usage: vanguard backup [-data DIR] -o FILE.tar.gz\n\nBacks up the data dir, also while the server runs: the databases (one instant), media and keys.")
			fs.PrintDefaults()
		}
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		if *out == "" || fs.NArg() != 0 {
			fs.Usage()
			return 2
		}
		sum, err := backup.Create(ctx, *dir, *out, BackupLayout())
		if err != nil {
			fmt.Fprintln(stderr, "vanguard backup:", err)
			if errors.Is(err, backup.ErrNoDatabase) {
				fmt.Fprintln(stderr, "Is this the data dir of a standalone Vanguard on SQLite? With VANGUARD_POSTGRES_URL, back up\n"+
					"PostgreSQL with pg_dump and the data dir's secrets/ and blob/ with files (see the README).")
			}
			return 1
		}
		m := sum.Manifest
		dbs := make([]string, len(m.Databases))
		for i, db := range m.Databases {
			dbs[i] = strings.TrimSuffix(path.Base(db), ".db")
		}
		fmt.Fprintf(stdout, "Vanguard backup written: %s\n  size:      %s, %d files and the manifest (mode 0600)\n  databases: %s, as of %s (snapshots %v apart)\n",
			sum.Path, sizeOf(sum.Bytes), len(m.Files), strings.Join(dbs, ", "), m.CreatedAt.Format("2006-01-02 15:04:05 MST"),
			time.Duration(m.SnapshotSpreadMicros)*time.Microsecond)
		for _, d := range m.Derived {
			fmt.Fprintf(stdout, "  left out:  %s\n", d)
		}
		fmt.Fprintf(stdout, "  version:   %s\n%s\n", versionOf(m), secretsWarning)
		return 0
	case "restore":
		fs := flag.NewFlagSet("vanguard restore", flag.ContinueOnError)
		fs.SetOutput(stderr)
		dir := fs.String("data", defaultDir, "the data directory to restore into (default: $VANGUARD_DATA_DIR or ./data)")
		force := fs.Bool("force", false, "restore over a data directory that holds files: it is moved to DIR.before-restore-<time> first (never deleted)")
		fs.Usage = func() {
			fmt.Fprintln(stderr, "usage: vanguard restore [-data DIR] [-force] FILE.tar.gz\n\nRestores a backup into a new or empty data dir (stop the server first); -force moves a non-empty one aside.")
			fs.PrintDefaults()
		}
		// Flags may come before or after the archive's name.
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		rest := fs.Args()
		if len(rest) > 1 {
			if err := fs.Parse(rest[1:]); err != nil {
				return 2
			}
			rest = append(rest[:1], fs.Args()...)
		}
		if len(rest) != 1 {
			fs.Usage()
			return 2
		}
		res, err := backup.Restore(ctx, rest[0], *dir, backup.RestoreOptions{Force: *force})
		if err != nil {
			fmt.Fprintln(stderr, "vanguard restore:", err)
			if errors.Is(err, backup.ErrInvalidArchive) || errors.Is(err, backup.ErrUnsupportedFormat) ||
				errors.Is(err, backup.ErrNotEmpty) || errors.Is(err, backup.ErrInUse) {
				fmt.Fprintln(stderr, "Nothing was changed.")
			}
			return 1
		}
		m := res.Manifest
		fmt.Fprintf(stdout, "Vanguard data restored into %s\n  from:      backup of %s (Vanguard %s), %d files, every checksum verified\n",
			res.DataDir, m.CreatedAt.Format("2006-01-02 15:04:05 MST"), versionOf(m), len(m.Files))
		if res.MovedAside != "" {
			fmt.Fprintf(stdout, "  previous:  moved to %s (delete it yourself once the restore is checked)\n", res.MovedAside)
		}
		for _, d := range m.Derived {
			fmt.Fprintf(stdout, "  rebuilt:   %s\n", d)
		}
		fmt.Fprintln(stdout, "Start Vanguard with this data dir; queued work is rebuilt from the databases.")
		return 0
	}
	fmt.Fprintf(stderr, "vanguard: unknown command %q\n", args[0])
	return 2
}

// versionOf is the Vanguard version (and commit, if recorded) that wrote the archive.
func versionOf(m backup.Manifest) string {
	if m.Commit == "" {
		return m.VanguardVersion
	}
	return m.VanguardVersion + " " + m.Commit
}

// sizeOf formats n bytes for people.
func sizeOf(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
