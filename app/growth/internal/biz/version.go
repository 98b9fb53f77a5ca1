package biz

import (
	"encoding/json"
	"time"
)

// Review statuses of a member's file.
const (
	// StatusPending: the latest version waits for staff's review.
	StatusPending = "pending"
	// StatusApproved: staff signed off the latest version; it is locked (versions are immutable,
	// and a later compile that changes the content makes a new version, pending again).
	StatusApproved = "approved"
	// StatusReturned: staff returned the latest version with comments; the next compile that
	// changes the content makes it pending again.
	StatusReturned = "returned"
)

// File is a member's growth file: its latest version and where its review stands.
type File struct {
	MemberID int64
	OrgPath  string // the member's org when last compiled: staff over it review the file
	// MemberName and OrgName are the latest version's.
	MemberName string
	OrgName    string
	Latest     int    // the latest version's number (0: never compiled)
	Hash       string // the latest version's content hash
	Status     string
	// Approved is the number of the version staff last signed off (0: none).
	Approved  int
	UpdatedAt time.Time
}

// Version is one immutable compiled version of a file: its canonical content, hash and the
// changes from the version before.
type Version struct {
	MemberID   int64
	No         int
	Hash       string
	Content    []byte // Canonical
	Changes    []Change
	Trigger    string // what asked for the compile: an event's topic, "nightly", "staff"
	CompiledAt time.Time
}

// Apply decides what a compile of content does to the member's file f (nil: never compiled),
// whose latest version is latest (nil with f): nothing when the content is unchanged (the same
// hash: no new version, the review untouched), else a new version with its changes from latest,
// and the file pending review.
func Apply(f *File, latest *Version, c Content, trigger string, now time.Time) (*File, *Version, error) {
	body, hash, err := Canonical(c)
	if err != nil {
		return nil, nil, err
	}
	if f != nil && f.Latest > 0 && f.Hash == hash {
		return f, nil, nil
	}
	next := &File{MemberID: c.Profile.MemberID, OrgPath: c.Profile.OrgPath, MemberName: c.Profile.Name, OrgName: c.Profile.OrgName,
		Status: StatusPending, UpdatedAt: now}
	v := &Version{MemberID: c.Profile.MemberID, No: 1, Hash: hash, Content: body, Trigger: trigger, CompiledAt: now}
	if f != nil {
		next.Approved = f.Approved
		v.No = f.Latest + 1
	}
	if latest != nil {
		var prev Content
		if err := json.Unmarshal(latest.Content, &prev); err != nil {
			return nil, nil, err
		}
		v.Changes = Diff(prev, c)
	}
	next.Latest, next.Hash = v.No, hash
	return next, v, nil
}
