package standalone

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/vanguard/vanguard/app/standalone/backup"
	"github.com/vanguard/vanguard/app/standalone/backup/backuptest"
	"github.com/vanguard/vanguard/pkg/obs"
	"github.com/vanguard/vanguard/pkg/secret"
)

// randomMP4 is mp4(seconds, size) with random bytes in its mdat box, so that a copy equal to
// it cannot be an accident.
func randomMP4(t *testing.T, seconds uint32, size int) []byte {
	t.Helper()
	b := mp4(seconds, size)
	const mdat = 32 + 8 // after the 32-byte ftyp box and the mdat header
	if _, err := rand.Read(b[mdat : mdat+size]); err != nil {
		t.Fatal(err)
	}
	return b
}

// download fetches url and returns the status and the body.
func download(t *testing.T, url string) (int, []byte) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, body
}

// readManifest returns the manifest of the archive at path and the names of its entries.
func readManifest(t *testing.T, path string) (backup.Manifest, []string) {
	t.Helper()
	entries := readEntries(t, path)
	var m backup.Manifest
	var names []string
	for _, e := range entries {
		names = append(names, e.hdr.Name)
		if e.hdr.Name == backup.ManifestName {
			if err := json.Unmarshal(e.body, &m); err != nil {
				t.Fatal(err)
			}
		}
	}
	return m, names
}

type entry struct {
	hdr  *tar.Header
	body []byte
}

func readEntries(t *testing.T, path string) []entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var out []entry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, entry{h, body})
	}
}

func writeEntries(t *testing.T, path string, entries []entry) {
	t.Helper()
	headers, bodies := make([]*tar.Header, len(entries)), make([][]byte, len(entries))
	for i, e := range entries {
		h := *e.hdr
		h.Size = int64(len(e.body))
		headers[i], bodies[i] = &h, e.body
	}
	backuptest.WriteArchive(t, path, headers, bodies)
}

// fingerprint maps every file under dir to its SHA-256 (directories to "dir"); a missing dir
// gives nil.
func fingerprint(t *testing.T, dir string) map[string]string {
	t.Helper()
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if e.IsDir() {
			out[rel] = "dir"
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The whole journey: a live process with data in org (accounts, an encrypted ID number),
// course (a course with an uploaded video), quiz (an exam and its graded attempt) and
// studyhour (the exam's credit, from quiz's event), backed up by `vanguard backup` while a
// client keeps writing; the process stops, `vanguard restore` puts the archive into a new data
// dir, and a new process on it serves everything through the API: passwords, tokens and media
// URLs signed before the backup (the keys came back), the ID number decrypts and still
// collides, the video is byte-identical, the rows are there, and search (left out) rebuilt
// itself.
func TestBackupRestoreRoundTripWhileWriting(t *testing.T) {
	l := startLive(t)
	w := newQuizWorld(t, l)
	// The admin's password changes, so signing in with it afterwards shows org's database came
	// back rather than a fresh bootstrap.
	l.must(l.call("POST", "/v1/me/password", w.admin, map[string]any{"oldPassword": "Admin-pass-2026", "newPassword": "Admin-changed-2026"}), 200)
	w.admin = l.login("admin", "Admin-changed-2026")
	nid := nationalID("19850607", 321)
	memberID := l.must(l.call("POST", "/v1/accounts", w.admin, map[string]any{
		"username": "bkm", "displayName": "备份党员", "password": "Member-pass-2026", "roles": []string{"MEMBER"}, "orgId": w.orgA,
		"profile": map[string]any{"nationalId": nid, "birthDate": "1985-06-07"},
	}), 200).s("id")
	member := l.login("bkm", "Member-pass-2026")

	// A course with a lesson video (random bytes: the copy cannot match by accident).
	movie := randomMP4(t, 75, 300<<10)
	cid := l.must(l.call("POST", "/v1/courses", w.trainer, map[string]any{"title": "备份恢复演练专题课程"}), 200).s("id")
	ch := l.must(l.call("POST", "/v1/courses/"+cid+"/chapters", w.trainer, map[string]any{"title": "第一章"}), 200).s("id")
	video := l.must(l.call("POST", "/v1/chapters/"+ch+"/lessons", w.trainer, map[string]any{"title": "讲座", "kind": "VIDEO"}), 200).s("id")
	l.must(l.upload(w.trainer, video, "讲座.mp4", "video/mp4", movie), 200)
	for i := 0; l.must(l.call("GET", "/v1/lessons/"+video, w.trainer, nil), 200).s("mediaStatus") != "READY"; i++ {
		if i > 300 {
			t.Fatal("media:probe did not finish")
		}
		time.Sleep(50 * time.Millisecond)
	}
	l.must(l.call("POST", "/v1/courses/"+cid+":publish", w.trainer, map[string]any{}), 200)
	l.must(l.call("POST", "/v1/courses/"+cid+"/assignments", w.admin, map[string]any{"orgIds": []string{w.orgA}, "required": true}), 200)
	oldURL := l.must(l.call("GET", "/v1/lessons/"+video+"/playback", member, nil), 200).s("url")

	// An exam the member passes: quiz grades it, studyhour credits two hours from the event.
	opts := []map[string]any{{"key": "A", "html": "1919年"}, {"key": "B", "html": "1921年"}}
	bank := l.must(l.call("POST", "/v1/banks", w.trainer, map[string]any{"name": "备份题库"}), 200).s("id")
	q := l.must(l.call("POST", "/v1/banks/"+bank+"/questions", w.trainer, map[string]any{
		"bankId": bank, "type": "SINGLE", "stemHtml": "建党时间", "options": opts, "answerKeys": []string{"B"}, "defaultPoints": 5,
	}), 200).s("id")
	paper := l.must(l.call("POST", "/v1/papers", w.trainer, map[string]any{"title": "备份试卷", "items": []map[string]any{{"questionId": q}}}), 200).s("id")
	now := l.clock.Now()
	exam := l.must(l.call("POST", "/v1/exams", w.trainer, map[string]any{
		"paperId": paper, "title": "备份测试", "opensAt": now.Add(-time.Minute).Format(time.RFC3339), "closesAt": now.Add(time.Hour).Format(time.RFC3339),
		"durationMinutes": 30, "attemptsAllowed": 1, "resultsPolicy": "IMMEDIATE", "passMark": 5, "creditHours": 2, "targetOrgIds": []string{w.orgA},
	}), 200).s("id")
	attempt := l.must(l.call("POST", "/v1/exams/"+exam+"/attempts", member, map[string]any{}), 200)
	label := ""
	for i := 0; i < 2; i++ {
		if attempt.s("questions", "0", "options", itoa(i), "html") == "1921年" {
			label = attempt.s("questions", "0", "options", itoa(i), "key")
		}
	}
	l.must(l.call("PUT", "/v1/attempts/"+attempt.s("id")+"/answers/1", member, map[string]any{"value": map[string]any{"choices": []string{label}}, "version": 1}), 200)
	l.must(l.call("POST", "/v1/attempts/"+attempt.s("id")+":submit", member, map[string]any{}), 200)
	waitStatus(t, l, w.trainer, exam, "graded")
	hoursOf(t, l, member, "7200")

	// A client keeps writing to org and course while the backup runs.
	var (
		mu      sync.Mutex
		written int // accounts and topics completed
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			name := fmt.Sprintf("inflight%d", i)
			if r := l.call("POST", "/v1/accounts", w.admin, map[string]any{"username": name, "displayName": name, "password": "Passw0rd-" + name, "roles": []string{"MEMBER"}, "orgId": w.orgA}); r.status != 200 {
				t.Errorf("write during the backup: %d %s", r.status, r.raw)
				return
			}
			if r := l.call("POST", "/v1/topics", w.admin, map[string]any{"name": "在途专题" + itoa3(i)}); r.status != 200 {
				t.Errorf("write during the backup: %d %s", r.status, r.raw)
				return
			}
			mu.Lock()
			written = i + 1
			mu.Unlock()
		}
	}()
	for i := 0; ; i++ { // let some writes land first
		mu.Lock()
		n := written
		mu.Unlock()
		if n >= 3 {
			break
		}
		if i > 500 {
			t.Fatal("the writer made no progress")
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	before := written // committed before the backup began: must all come back
	mu.Unlock()
	archive := filepath.Join(t.TempDir(), "vanguard.tar.gz")
	var stdout, stderr bytes.Buffer
	start := time.Now()
	if code := BackupCommand([]string{"backup", "-data", l.dir, "-o", archive}, &stdout, &stderr); code != 0 {
		t.Fatalf("vanguard backup = %d: %s", code, stderr.String())
	}
	took := time.Since(start)
	mu.Lock()
	during := written - before
	mu.Unlock()
	close(stop)
	wg.Wait()
	if during == 0 {
		t.Fatal("no write completed while the backup ran: the test shows nothing")
	}
	fi, err := os.Stat(archive)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("archive mode = %v, %v; want 0600", fi.Mode(), err)
	}
	for _, want := range []string{"Vanguard backup written: " + archive, "(mode 0600)", "left out:  search/", "holds the secrets", "encrypted and offline"} {
		if !strings.Contains(stdout.String(), want) {
			t.Fatalf("backup output lacks %q:\n%s", want, stdout.String())
		}
	}
	m, names := readManifest(t, archive)
	t.Logf("backup of %d bytes in %v (database snapshots %d µs apart), %d writes completed meanwhile:\n%s",
		fi.Size(), took, m.SnapshotSpreadMicros, during, stdout.String())
	if m.FormatVersion != backup.FormatVersion || names[len(names)-1] != backup.ManifestName || len(m.Files) != len(names)-1 {
		t.Fatalf("manifest = %+v, entries %v", m, names)
	}
	for _, want := range []string{"data/org/org.db", "data/course/course.db", "data/quiz/quiz.db", "data/studyhour/studyhour.db", "data/growth/growth.db",
		"data/secrets/jwt_ed25519.pem", "data/secrets/id.key", "data/secrets/blob.key", "data/secrets/ledger.key", "data/secrets/service.key"} {
		if !slices.Contains(names, want) {
			t.Errorf("the archive lacks %s: %v", want, names)
		}
	}
	if !slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "data/blob/objects/") }) {
		t.Errorf("the archive holds no media object: %v", names)
	}
	if slices.ContainsFunc(names, func(n string) bool {
		return strings.HasPrefix(n, "data/search/") || strings.HasPrefix(n, "data/blob/.tmp/")
	}) {
		t.Errorf("the archive holds derived or temporary files: %v", names)
	}
	for _, f := range m.Files {
		if len(f.SHA256) != 64 || f.Size < 0 {
			t.Errorf("manifest entry %+v", f)
		}
	}

	l.stop()
	restored := filepath.Join(t.TempDir(), "restored")
	stdout.Reset()
	if code := BackupCommand([]string{"restore", "-data", restored, archive}, &stdout, &stderr); code != 0 {
		t.Fatalf("vanguard restore = %d: %s", code, stderr.String())
	}
	t.Logf("restore:\n%s", stdout.String())

	r := startLiveConfig(t, true, func(c *Config) { c.DataDir = restored })
	// Passwords and the token signing key came back: old passwords sign in, and a token signed
	// by the old process before the backup is still valid.
	if me := r.must(r.call("GET", "/v1/me", member, nil), 200); me.s("id") != memberID {
		t.Fatalf("old token on the restored process = %s", me.raw)
	}
	admin := r.login("admin", "Admin-changed-2026")
	r.must(r.call("POST", "/v1/auth/login", "", map[string]any{"username": "admin", "password": "Admin-pass-2026"}), 401)
	member = r.login("bkm", "Member-pass-2026")
	// The ID-number key came back: the stored number decrypts with the restored key, and its
	// keyed hash still refuses the same number for another account.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(restored, "org", "org.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var sealed []byte
	err = db.QueryRow("SELECT national_id_enc FROM accounts WHERE username = 'bkm'").Scan(&sealed)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	rawKey, err := os.ReadFile(filepath.Join(restored, "secrets", "id.key"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := secret.ParseKey(string(rawKey))
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := secret.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := sealer.Open(sealed); err != nil || plain != nid {
		t.Fatalf("the restored ID number does not decrypt with the restored key: %q, %v", plain, err)
	}
	r.must(r.call("POST", "/v1/accounts", admin, map[string]any{
		"username": "bkm2", "displayName": "重复", "password": "Member-pass-2026", "roles": []string{"MEMBER"}, "orgId": w.orgA,
		"profile": map[string]any{"nationalId": nid, "birthDate": "1985-06-07"},
	}), 409, "ALREADY_EXISTS")
	// The media came back byte for byte, by a new URL and by one signed before the backup.
	if code, body := download(t, r.must(r.call("GET", "/v1/lessons/"+video+"/playback", member, nil), 200).s("url")); code != 200 || !bytes.Equal(body, movie) {
		t.Fatalf("restored video: %d, %d bytes, identical=%v", code, len(body), bytes.Equal(body, movie))
	}
	if code, body := download(t, strings.Replace(oldURL, l.url, r.url, 1)); code != 200 || !bytes.Equal(body, movie) {
		t.Fatalf("URL signed before the backup: %d, identical=%v", code, bytes.Equal(body, movie))
	}
	// The rows of course, quiz and studyhour.
	if c := r.must(r.call("GET", "/v1/courses/"+cid, member, nil), 200); c.s("title") != "备份恢复演练专题课程" || c.s("status") != "PUBLISHED" ||
		c.s("chapters", "0", "lessons", "0", "mediaStatus") != "READY" {
		t.Fatalf("restored course = %s", c.raw)
	}
	trainer := r.login("qtrainer", "Passw0rd-qtrainer")
	waitStatus(t, r, trainer, exam, "graded")
	hoursOf(t, r, member, "7200")
	// Every write committed before the backup began is there.
	topics := r.must(r.call("GET", "/v1/topics", admin, nil), 200).raw
	for i := 0; i < before; i++ {
		r.login(fmt.Sprintf("inflight%d", i), fmt.Sprintf("Passw0rd-inflight%d", i))
		if !strings.Contains(topics, "在途专题"+itoa3(i)) {
			t.Fatalf("topic %d written before the backup is missing: %s", i, topics)
		}
	}
	// Search was left out and rebuilt itself from course's feed.
	r.waitSearch(member, "备份恢复演练", "the restored course", func(ids []string) bool { return slices.Contains(ids, "course:"+cid) })
}

// itoa3 formats i with three digits, so that no topic name is a prefix of another.
func itoa3(i int) string { return fmt.Sprintf("%03d", i) }

// Restore refuses, changing nothing, a damaged or altered archive (one byte of a database
// flipped, the archive cut short), one with an entry outside the data dir, one of an unknown
// format version, a data dir that holds files unless forced, and a data dir a running process
// holds even if forced. Forced onto a stopped one, it moves the old dir aside.
func TestRestoreRefusals(t *testing.T) {
	l := startLive(t)
	admin := l.login("admin", "Admin-pass-2026")
	root := l.must(l.call("GET", "/v1/me", admin, nil), 200).s("orgId")
	l.must(l.call("POST", "/v1/accounts", admin, map[string]any{"username": "refm", "displayName": "refm", "password": "Passw0rd-refm", "roles": []string{"MEMBER"}, "orgId": root}), 200)
	work := t.TempDir()
	good := filepath.Join(work, "good.tar.gz")
	if _, err := backup.Create(context.Background(), l.dir, good, BackupLayout()); err != nil {
		t.Fatal(err)
	}
	entries := readEntries(t, good)
	variant := func(name string, edit func(es []entry) []entry) string {
		es := make([]entry, len(entries))
		for i, e := range entries {
			h := *e.hdr
			es[i] = entry{&h, bytes.Clone(e.body)}
		}
		p := filepath.Join(work, name+".tar.gz")
		writeEntries(t, p, edit(es))
		return p
	}
	manifestOf := func(es []entry) (*backup.Manifest, *entry) {
		for i := range es {
			if es[i].hdr.Name == backup.ManifestName {
				var m backup.Manifest
				if err := json.Unmarshal(es[i].body, &m); err != nil {
					t.Fatal(err)
				}
				return &m, &es[i]
			}
		}
		t.Fatal("no manifest")
		return nil, nil
	}
	tampered := variant("tampered", func(es []entry) []entry {
		for _, e := range es {
			if e.hdr.Name == "data/org/org.db" {
				e.body[len(e.body)/2] ^= 0x01
			}
		}
		return es
	})
	// The escaping entry is listed in the manifest with its right checksum: only its name is
	// wrong.
	escape := variant("escape", func(es []entry) []entry {
		body := []byte("owned\n")
		sum := sha256.Sum256(body)
		m, me := manifestOf(es)
		m.Files = append([]backup.File{{Path: "data/../../escaped.txt", Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:])}}, m.Files...)
		me.body, _ = json.Marshal(m)
		return append([]entry{{&tar.Header{Name: "data/../../escaped.txt", Mode: 0o644, Typeflag: tar.TypeReg}, body}}, es...)
	})
	link := variant("symlink", func(es []entry) []entry {
		return append([]entry{{&tar.Header{Name: "data/secrets/evil", Linkname: "/etc", Typeflag: tar.TypeSymlink}, nil}}, es...)
	})
	future := variant("future", func(es []entry) []entry {
		m, me := manifestOf(es)
		m.FormatVersion = backup.FormatVersion + 1
		me.body, _ = json.Marshal(m)
		return es
	})
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(work, "truncated.tar.gz")
	if err := os.WriteFile(truncated, raw[:len(raw)*2/3], 0o600); err != nil {
		t.Fatal(err)
	}

	parent := t.TempDir()
	fresh := filepath.Join(parent, "fresh") // does not exist
	full := filepath.Join(parent, "full")   // holds a file
	if err := os.MkdirAll(full, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(full, "notes.txt"), []byte("operator's notes"), 0o600); err != nil {
		t.Fatal(err)
	}
	listing := func(dir string) []string {
		es, _ := os.ReadDir(dir)
		var out []string
		for _, e := range es {
			out = append(out, e.Name())
		}
		return out
	}
	parentBefore, fullBefore, liveBefore := listing(parent), fingerprint(t, full), listing(l.dir)
	unchanged := func(what string) {
		t.Helper()
		if got := listing(parent); !slices.Equal(got, parentBefore) {
			t.Fatalf("%s: the targets' parent now holds %v, before %v", what, got, parentBefore)
		}
		if got := fingerprint(t, full); fmt.Sprint(got) != fmt.Sprint(fullBefore) {
			t.Fatalf("%s: the non-empty target changed", what)
		}
		if got := listing(l.dir); !slices.Equal(got, liveBefore) {
			t.Fatalf("%s: the running process's dir now holds %v, before %v", what, got, liveBefore)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(parent), "escaped.txt")); err == nil {
			t.Fatalf("%s: a file escaped the target", what)
		}
		if left, _ := filepath.Glob(filepath.Join(filepath.Dir(l.dir), "*before-restore*")); len(left) != 0 {
			t.Fatalf("%s: the running process's dir was moved aside: %v", what, left)
		}
	}

	cases := []struct {
		name, archive, target string
		force                 bool
		want                  error
		says                  string
	}{
		{"one byte flipped", tampered, fresh, false, backup.ErrInvalidArchive, "does not match its SHA-256"},
		{"one byte flipped, forced", tampered, full, true, backup.ErrInvalidArchive, "does not match its SHA-256"},
		{"cut short", truncated, fresh, false, backup.ErrInvalidArchive, ""},
		{"entry outside the data dir", escape, fresh, false, backup.ErrInvalidArchive, "outside the data directory"},
		{"entry outside the data dir, forced", escape, full, true, backup.ErrInvalidArchive, "outside the data directory"},
		{"symbolic link", link, fresh, false, backup.ErrInvalidArchive, "not a regular file"},
		{"unknown format version", future, fresh, false, backup.ErrUnsupportedFormat, "format version 2"},
		{"non-empty target", good, full, false, backup.ErrNotEmpty, "holds files"},
		{"target in use", good, l.dir, false, backup.ErrInUse, "locked by a running Vanguard process"},
		{"target in use, forced", good, l.dir, true, backup.ErrInUse, "locked by a running Vanguard process"},
	}
	for _, c := range cases {
		_, err := backup.Restore(context.Background(), c.archive, c.target, backup.RestoreOptions{Force: c.force})
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
			t.Fatalf("%s: restore = %v, want %v saying %q", c.name, err, c.want, c.says)
		}
		unchanged(c.name)
	}
	// The command says so and fails.
	var stdout, stderr bytes.Buffer
	if code := BackupCommand([]string{"restore", "-data", l.dir, "-force", good}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "locked by a running Vanguard process") || !strings.Contains(stderr.String(), "Nothing was changed.") {
		t.Fatalf("vanguard restore onto a running process's dir = %d: %s", code, stderr.String())
	}
	if code := BackupCommand([]string{"restore", "-data", fresh, tampered}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "SHA-256") {
		t.Fatalf("vanguard restore of an altered archive = %d: %s", code, stderr.String())
	}
	unchanged("the command")
	// The running process still serves from its own data.
	l.login("refm", "Passw0rd-refm")

	// Forced onto a stopped process's dir: the old dir is moved aside, whole.
	res, err := backup.Restore(context.Background(), good, full, backup.RestoreOptions{Force: true, Now: func() time.Time { return time.Date(2026, 11, 25, 10, 30, 0, 0, time.Local) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.MovedAside != full+".before-restore-20261125-103000" || fmt.Sprint(fingerprint(t, res.MovedAside)) != fmt.Sprint(fullBefore) {
		t.Fatalf("moved aside to %q: %v", res.MovedAside, fingerprint(t, res.MovedAside))
	}
	if _, err := os.Stat(filepath.Join(full, "org", "org.db")); err != nil {
		t.Fatalf("forced restore: %v", err)
	}
	if _, err := os.Stat(filepath.Join(full, "notes.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the old dir's file is in the restored dir: %v", err)
	}
	// A process then refuses to start on it while another holds it; restore refuses likewise.
	r := startLiveConfig(t, false, func(c *Config) { c.DataDir = full })
	r.login("refm", "Passw0rd-refm")
	if _, err := Build(context.Background(), testConfig(full), log.NewFilter(obs.NewLogger(io.Discard, "test"))); !errors.Is(err, backup.ErrInUse) {
		t.Fatalf("a second process on the same data dir = %v, want ErrInUse", err)
	}
}

// TestBackupHelperProcess is not a test: the tests below run the binary as `vanguard backup`
// in a child process (as another user, or with a file size limit) through it.
func TestBackupHelperProcess(t *testing.T) {
	if os.Getenv("VANGUARD_BACKUP_HELPER") != "1" {
		t.Skip("runs only as the child of the backup failure tests")
	}
	if limit := os.Getenv("VANGUARD_BACKUP_FSIZE"); limit != "" {
		var n uint64
		fmt.Sscan(limit, &n)
		signal.Ignore(syscall.SIGXFSZ) // a write past the limit then fails with EFBIG
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
			fmt.Fprintln(os.Stderr, "setrlimit:", err)
			os.Exit(3)
		}
	}
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv("VANGUARD_BACKUP_ARGS")), &args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	os.Exit(BackupCommand(args, os.Stdout, os.Stderr))
}

// A backup that cannot be written — into a directory the user may not write to, or failing
// half way through the archive (the file size limit) — exits 1 and leaves the output
// directory as it was: the previous archive of the same name intact, no temporary file.
func TestBackupFailureLeavesNoPartialFile(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("uses Linux rlimits and user ids")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// Everything the child needs sits in a directory other users may enter.
	base, err := os.MkdirTemp("", "vanguard-backup-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(base, "vanguard.test")
	if err := os.Link(exe, bin); err != nil {
		raw, err := os.ReadFile(exe)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(bin, raw, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A data dir with 3 MiB of media, more than the size limit below.
	data := filepath.Join(base, "data")
	p, err := Build(context.Background(), testConfig(data), log.NewFilter(obs.NewLogger(io.Discard, "test")))
	if err != nil {
		t.Fatal(err)
	}
	media := make([]byte, 3<<20)
	rand.Read(media)
	if _, err := p.Store.Put(context.Background(), "lessons/1/big.bin", bytes.NewReader(media), int64(len(media)), "application/octet-stream"); err != nil {
		t.Fatal(err)
	}
	p.Close()
	out := filepath.Join(base, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(out, "vanguard.tar.gz")
	if err := os.WriteFile(archive, []byte("yesterday's backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	outBefore := fingerprint(t, out)

	run := func(asOther bool, fsize int64) (int, string) {
		t.Helper()
		cmd := exec.Command(bin, "-test.run=^TestBackupHelperProcess$", "-test.count=1")
		args, _ := json.Marshal([]string{"backup", "-data", data, "-o", archive})
		cmd.Env = append(os.Environ(), "VANGUARD_BACKUP_HELPER=1", "VANGUARD_BACKUP_ARGS="+string(args))
		if fsize > 0 {
			cmd.Env = append(cmd.Env, fmt.Sprintf("VANGUARD_BACKUP_FSIZE=%d", fsize))
		}
		cmd.Dir = base
		if asOther {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		}
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), stderr.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, stderr.String()
	}
	noLeftovers := func(what string) {
		t.Helper()
		if got := fingerprint(t, out); fmt.Sprint(got) != fmt.Sprint(outBefore) {
			t.Fatalf("%s: the output dir changed: %v", what, got)
		}
		if left, _ := filepath.Glob(filepath.Join(data, ".backup-links-*")); len(left) != 0 {
			t.Fatalf("%s: links left in the data dir: %v", what, left)
		}
	}

	// A read-only location: for root (who may write anywhere) the child runs as nobody, to
	// whom the data is readable and the output dir is not writable.
	asOther := os.Geteuid() == 0
	if asOther {
		if err := filepath.WalkDir(data, func(p string, _ os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(p, 65534, 65534)
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(out, 0o555); err != nil {
		t.Fatal(err)
	}
	code, msg := run(asOther, 0)
	if code != 1 || !strings.Contains(msg, "vanguard backup: create archive") || !strings.Contains(msg, "permission denied") {
		t.Fatalf("backup into a read-only dir = %d: %s", code, msg)
	}
	noLeftovers("read-only location")
	if err := os.Chmod(out, 0o755); err != nil {
		t.Fatal(err)
	}

	// A write that fails half way through the archive (file size limit 1 MiB: the database
	// copies fit, the 3 MiB of media do not).
	code, msg = run(false, 1<<20)
	if code != 1 || !strings.Contains(msg, "write archive") || !strings.Contains(msg, "file too large") {
		t.Fatalf("backup past the file size limit = %d: %s", code, msg)
	}
	noLeftovers("failed half way")

	// Without the limit the same command replaces the old archive with a complete one.
	if code, msg := run(false, 0); code != 0 {
		t.Fatalf("backup = %d: %s", code, msg)
	}
	if _, err := backup.Restore(context.Background(), archive, filepath.Join(t.TempDir(), "r"), backup.RestoreOptions{}); err != nil {
		t.Fatalf("the archive written after the failures: %v", err)
	}
}

// The command's usage errors exit 2, and a backup or restore it cannot do exits 1 saying why;
// flags may follow the archive's name, and an existing empty dir is a fine target.
func TestBackupCommandUsage(t *testing.T) {
	run := func(args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := BackupCommand(args, &stdout, &stderr)
		return code, stdout.String() + stderr.String()
	}
	for _, args := range [][]string{{"backup"}, {"backup", "-o", "x.tar.gz", "extra"}, {"restore"}, {"restore", "a.tar.gz", "b.tar.gz"}, {"restore", "-nope", "a.tar.gz"}, {"serve"}} {
		if code, out := run(args...); code != 2 {
			t.Errorf("%v = %d, want 2: %s", args, code, out)
		}
	}
	work := t.TempDir()
	// A dir without the SQLite databases (a Vanguard on PostgreSQL keeps none).
	if code, out := run("backup", "-data", work, "-o", filepath.Join(work, "..", "x.tar.gz")); code != 1 || !strings.Contains(out, "no such database") || !strings.Contains(out, "pg_dump") {
		t.Fatalf("backup of a dir without databases = %d: %s", code, out)
	}
	data := filepath.Join(work, "data")
	p, err := Build(context.Background(), testConfig(data), log.NewFilter(obs.NewLogger(io.Discard, "test")))
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	if code, out := run("backup", "-data", data, "-o", filepath.Join(data, "blob", "x.tar.gz")); code != 1 || !strings.Contains(out, "must not be written inside the data dir") {
		t.Fatalf("backup into the data dir = %d: %s", code, out)
	}
	archive := filepath.Join(work, "b.tar.gz")
	if code, out := run("backup", "-o", archive, "-data", data); code != 0 {
		t.Fatalf("backup = %d: %s", code, out)
	}
	empty := filepath.Join(work, "empty")
	if err := os.Mkdir(empty, 0o700); err != nil {
		t.Fatal(err)
	}
	if code, out := run("restore", archive, "-data", empty); code != 0 || !strings.Contains(out, "restored into "+empty) || strings.Contains(out, "moved to") {
		t.Fatalf("restore into an empty dir = %d: %s", code, out)
	}
	if _, err := os.Stat(filepath.Join(empty, "secrets", "id.key")); err != nil {
		t.Fatal(err)
	}
}
