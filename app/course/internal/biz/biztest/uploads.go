package biztest

import (
	"slices"
	"time"

	"github.com/vanguard/vanguard/app/course/internal/biz"
)

var uploadCases = []testCase{
	{"CreateGet", testUploadCreateGet},
	{"SetStatus", testUploadSetStatus},
	{"Expired", testUploadExpired},
}

// Create assigns an id and a creation time and stores the upload as StartUpload makes it; Get
// returns it; a missing upload is ErrUploadNotFound. (Pinned: a new upload has no Reason, as
// the ent repository ignores one; reasons come with SetStatus.)
func testUploadCreateGet(f *fx) {
	in := &biz.Upload{LessonID: 7, CreatedBy: 10, ObjectKey: "lessons/7/0a1b/lecture.mp4", StoreUploadID: "mp-123",
		FileName: "第一讲 党的历史.mp4", Size: 5<<30 + 17, DeclaredType: "video/mp4", PartSize: 16 << 20, PartCount: 321,
		Status: "pending", Reason: "ignored", ExpiresAt: t0.Add(24 * time.Hour)}
	u := res(f.r.Uploads.Create(f.ctx, in)).must(f, "Uploads.Create")
	if u.ID <= 0 || u.CreatedAt.IsZero() {
		f.Fatalf("Uploads.Create = id %d created %v", u.ID, u.CreatedAt)
	}
	want := *in
	want.ID, want.Reason = u.ID, ""
	f.same("created upload", &want, u, ignoreStamps)
	got := res(f.r.Uploads.Get(f.ctx, u.ID)).must(f, "Uploads.Get")
	f.same("Uploads.Get", &want, got, ignoreStamps)
	if d := got.CreatedAt.Sub(u.CreatedAt).Abs(); d > time.Second {
		f.Errorf("Uploads.Get CreatedAt %v, created %v", got.CreatedAt, u.CreatedAt)
	}
	if second := f.upload(7, "lessons/7/2", t0); second.ID == u.ID {
		f.Errorf("two uploads got id %d", u.ID)
	}
	_, err := f.r.Uploads.Get(f.ctx, missing)
	f.wantErr("Uploads.Get of a missing upload", err, biz.ErrUploadNotFound)
}

// SetStatus moves an upload to completed, aborted or rejected with a reason (replacing the
// previous one) and touches nothing else; a missing upload is ErrUploadNotFound.
func testUploadSetStatus(f *fx) {
	u := f.upload(1, "lessons/1/a", t0.Add(time.Hour))
	other := f.upload(1, "lessons/1/b", t0.Add(time.Hour))
	want := *u
	for _, s := range []struct{ status, reason string }{
		{"rejected", "文件内容（video/webm）与声明的类型（video/mp4）不符，已删除"},
		{"aborted", "上传超时未完成，已清理"},
		{"completed", ""},
		{"pending", ""},
	} {
		f.noErr("SetStatus "+s.status, f.r.Uploads.SetStatus(f.ctx, u.ID, s.status, s.reason))
		want.Status, want.Reason = s.status, s.reason
		f.same("upload after SetStatus "+s.status, &want, res(f.r.Uploads.Get(f.ctx, u.ID)).must(f, "Uploads.Get"), ignoreStamps)
	}
	f.same("the other upload", other, res(f.r.Uploads.Get(f.ctx, other.ID)).must(f, "Uploads.Get"), ignoreStamps)
	f.wantErr("SetStatus of a missing upload", f.r.Uploads.SetStatus(f.ctx, missing, "aborted", ""), biz.ErrUploadNotFound)
}

// Expired lists the pending uploads whose expiry is before now (an upload expiring at now has
// not expired yet), up to the limit. Expiry is an instant: the zones the expiry and now are given
// in do not matter. (The order is not documented; the reconciler takes them all. Pinned: limit 0
// is no limit.)
func testUploadExpired(f *fx) {
	now := t0
	long := f.upload(1, "lessons/1/long", now.Add(-2*time.Hour))
	utc := f.upload(1, "lessons/1/utc", now.Add(-30*time.Minute).UTC())
	just := f.upload(1, "lessons/1/just", now.Add(-time.Second))
	f.upload(1, "lessons/1/at", now)
	f.upload(1, "lessons/1/later", now.Add(time.Minute))
	f.upload(1, "lessons/1/later-utc", now.Add(time.Minute).UTC())
	for _, st := range []string{"completed", "aborted", "rejected"} {
		u := f.upload(2, "lessons/2/"+st, now.Add(-time.Hour))
		f.noErr("SetStatus", f.r.Uploads.SetStatus(f.ctx, u.ID, st, ""))
	}

	expired := func(now time.Time, limit int) []int64 {
		f.Helper()
		return sortedIDs(res(f.r.Uploads.Expired(f.ctx, now, limit)).must(f, "Expired"), uploadID)
	}
	all := []int64{long.ID, utc.ID, just.ID}
	f.same("Expired", all, expired(now, 10))
	f.same("Expired at now in UTC", all, expired(now.UTC(), 10))
	f.same("Expired at now in another zone", all, expired(now.In(time.FixedZone("PST", -8*3600)), 10))
	f.same("Expired an hour earlier", []int64{long.ID}, sortedIDs(res(f.r.Uploads.Expired(f.ctx, now.Add(-time.Hour).UTC(), 10)).must(f, "Expired"), uploadID))
	f.same("Expired limit 0", all, expired(now, 0))
	if got := expired(now, 2); len(got) != 2 || !slices.ContainsFunc(all, func(id int64) bool { return id == got[0] }) ||
		!slices.ContainsFunc(all, func(id int64) bool { return id == got[1] }) {
		f.Errorf("Expired limit 2 = %v, want two of %v", got, all)
	}
	for _, u := range res(f.r.Uploads.Expired(f.ctx, now, 10)).must(f, "Expired") {
		want := map[int64]*biz.Upload{long.ID: long, utc.ID: utc, just.ID: just}[u.ID]
		f.same("expired upload", want, u, ignoreStamps)
	}

	f.noErr("SetStatus", f.r.Uploads.SetStatus(f.ctx, long.ID, "aborted", "上传超时未完成，已清理"))
	f.same("Expired after aborting one", []int64{utc.ID, just.ID}, expired(now, 10))
}
