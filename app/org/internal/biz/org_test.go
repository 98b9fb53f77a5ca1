package biz

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/vanguard/vanguard/pkg/bizerr"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// wantErrKind checks err against an expected kind: nil, a sentinel, or the type of a pointer
// error (*PermissionError, *HierarchyError, *FieldError, *ImportError, *RateLimitError).
func wantErrKind(t *testing.T, err error, want any) {
	t.Helper()
	switch w := want.(type) {
	case nil:
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
	case error:
		switch w.(type) {
		case *PermissionError:
			var pe *PermissionError
			if !errors.As(err, &pe) {
				t.Fatalf("error = %v (%T), want *PermissionError", err, err)
			}
		case *HierarchyError:
			var he *HierarchyError
			if !errors.As(err, &he) {
				t.Fatalf("error = %v (%T), want *HierarchyError", err, err)
			}
		case *FieldError:
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error = %v (%T), want *FieldError", err, err)
			}
			if want := w.(*FieldError); want.Field != "" && fe.Field != want.Field {
				t.Fatalf("FieldError.Field = %q, want %q (reason %q)", fe.Field, want.Field, fe.Reason)
			}
		case *ImportError:
			var ie *ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("error = %v (%T), want *ImportError", err, err)
			}
		default:
			if !errors.Is(err, w) {
				t.Fatalf("error = %v (%T), want %v", err, err, w)
			}
		}
	default:
		t.Fatalf("bad want %T", want)
	}
}

func TestOrgCreate(t *testing.T) {
	tests := []struct {
		name   string
		as     string
		parent string // seeded parent code; "" = root
		in     NewOrg
		want   any
	}{
		{"admin creates root", "admin", "", NewOrg{Name: " 新党委 ", Code: " NEW ", Type: OrgCommittee}, nil},
		{"staff cannot create root", "staffA", "", NewOrg{Name: "x", Code: "NEW", Type: OrgCommittee}, &PermissionError{}},
		{"member cannot create root", "memberA", "", NewOrg{Name: "x", Code: "NEW", Type: OrgCommittee}, &PermissionError{}},
		{"staff creates branch under own org", "staffA", "A", NewOrg{Name: "支部", Code: "NEW", Type: OrgBranch}, nil},
		{"staff creates under child org", "staffA", "A1", NewOrg{Name: "支部", Code: "NEW", Type: OrgBranch}, nil},
		{"staff of A cannot create under sibling B", "staffA", "B", NewOrg{Name: "支部", Code: "NEW", Type: OrgBranch}, ErrOrgNotFound}, // B is not even visible to staff of A
		{"staff of child cannot create under parent", "staffA1", "A", NewOrg{Name: "支部", Code: "NEW", Type: OrgBranch}, &PermissionError{}},
		{"trainer cannot create", "trainerA", "A", NewOrg{Name: "支部", Code: "NEW", Type: OrgBranch}, &PermissionError{}},
		{"branch under branch", "staffA", "A2", NewOrg{Name: "支部", Code: "NEW", Type: OrgBranch}, &HierarchyError{}},
		{"committee under general branch", "staffA", "A1", NewOrg{Name: "党委", Code: "NEW", Type: OrgCommittee}, &HierarchyError{}},
		{"general branch under general branch", "admin", "A1", NewOrg{Name: "总支", Code: "NEW", Type: OrgGeneralBranch}, &HierarchyError{}},
		{"invalid type", "admin", "A", NewOrg{Name: "x", Code: "NEW", Type: "party"}, &FieldError{Field: "type"}},
		{"unknown parent", "admin", "", NewOrg{ParentID: 999, Name: "x", Code: "NEW", Type: OrgBranch}, ErrOrgNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			in := tt.in
			if tt.parent != "" {
				in.ParentID = e.org[tt.parent].ID
			}
			before := e.state()
			got, err := e.orgUC.Create(e.as(tt.as), in)
			wantErrKind(t, err, tt.want)
			if tt.want != nil {
				if diff := cmp.Diff(before, e.state()); diff != "" {
					t.Errorf("failed create changed the store (-before +after):\n%s", diff)
				}
				return
			}
			stored := e.db.orgByCode("NEW")
			if stored == nil {
				t.Fatal("org NEW not stored")
			}
			if diff := cmp.Diff(stored, got); diff != "" {
				t.Errorf("returned org differs from stored (-stored +got):\n%s", diff)
			}
			wantPath, wantDepth := "/"+itoa(got.ID)+"/", 0
			if tt.parent != "" {
				p := e.org[tt.parent]
				wantPath, wantDepth = p.Path+itoa(got.ID)+"/", p.Depth+1
			}
			if got.Path != wantPath || got.Depth != wantDepth {
				t.Errorf("path, depth = %q, %d; want %q, %d", got.Path, got.Depth, wantPath, wantDepth)
			}
			if got.Name != trimmed(tt.in.Name) || got.Code != trimmed(tt.in.Code) {
				t.Errorf("name, code = %q, %q; want trimmed %q, %q", got.Name, got.Code, tt.in.Name, tt.in.Code)
			}
			recs := e.db.auditRecords()
			if len(recs) != 1 {
				t.Fatalf("audit records = %d, want 1", len(recs))
			}
			r := recs[0]
			want := AuditRecord{ID: r.ID, ActorID: e.acc[tt.as].ID, ActorName: tt.as, ActorOrgPath: e.acc[tt.as].OrgPath,
				Action: "org.create", TargetType: "org", TargetID: got.ID, OrgPath: got.Path, Summary: r.Summary, After: r.After,
				CreatedAt: testT0, Service: AuditServiceOrg}
			if diff := cmp.Diff(want, r); diff != "" {
				t.Errorf("audit record (-want +got):\n%s", diff)
			}
			var after Org
			if err := json.Unmarshal([]byte(r.After), &after); err != nil || after.ID != got.ID || after.Code != got.Code {
				t.Errorf("audit After = %s (err %v), want the created org", r.After, err)
			}
		})
	}
}

func TestOrgCreateUnauthenticated(t *testing.T) {
	e := newTestEnv(t)
	_, err := e.orgUC.Create(context.Background(), NewOrg{Name: "x", Code: "X", Type: OrgCommittee})
	if !errors.Is(err, bizerr.ErrUnauthenticated) {
		t.Fatalf("error = %v, want 401", err)
	}
}

func TestOrgDelete(t *testing.T) {
	tests := []struct {
		name   string
		as     string
		target string
		setup  func(t *testing.T, e *testEnv)
		want   any
	}{
		{"staff deletes empty child", "staffA", "A2", nil, nil},
		{"admin deletes empty org", "admin", "A2", nil, nil},
		{"org with children", "staffA", "A1", nil, ErrOrgNotEmpty},
		{"org with accounts", "admin", "A1a", nil, ErrOrgNotEmpty},
		{"org with one account only", "staffA", "A2", func(t *testing.T, e *testEnv) { e.addAccount(t, "m2", "", "A2", "member") }, ErrOrgNotEmpty},
		{"staff cannot delete own org", "staffA", "A", nil, &PermissionError{}},
		{"staff cannot delete parent it can see", "staffA1", "A", nil, &PermissionError{}},
		{"staff of sibling sees nothing", "staffB", "A2", nil, ErrOrgNotFound},
		{"member cannot delete a child org it cannot see", "memberA", "A2", nil, ErrOrgNotFound},
		{"member cannot delete own org", "memberA", "A", nil, &PermissionError{}},
		{"trainer cannot delete child", "trainerA", "A2", nil, &PermissionError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			if tt.setup != nil {
				tt.setup(t, e)
			}
			target := e.org[tt.target]
			before := e.state()
			err := e.orgUC.Delete(e.as(tt.as), target.ID)
			wantErrKind(t, err, tt.want)
			if tt.want != nil {
				if diff := cmp.Diff(before, e.state()); diff != "" {
					t.Errorf("failed delete changed the store (-before +after):\n%s", diff)
				}
				return
			}
			if e.db.orgByCode(tt.target) != nil {
				t.Error("org still stored after delete")
			}
			recs := e.db.auditRecords()
			if len(recs) != 1 || recs[0].Action != "org.delete" || recs[0].TargetID != target.ID || recs[0].Before == "" {
				t.Errorf("audit = %+v, want one org.delete of %d with Before", recs, target.ID)
			}
		})
	}
}

func TestOrgGet(t *testing.T) {
	tests := []struct {
		as, target string
		want       error
	}{
		{"admin", "B", nil},
		{"staffA", "A1a", nil},
		{"staffA", "ROOT", nil},
		{"staffA", "B", ErrOrgNotFound},
		{"staffB", "A1", ErrOrgNotFound},
		{"trainerA", "A1", nil},
		{"memberA1a", "A", nil},
		{"memberA1a", "A2", ErrOrgNotFound},
		{"memberA", "A1", ErrOrgNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.as+"->"+tt.target, func(t *testing.T) {
			e := newTestEnv(t)
			got, err := e.orgUC.Get(e.as(tt.as), e.org[tt.target].ID)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Get error = %v, want %v", err, tt.want)
			}
			if tt.want == nil && got.Code != tt.target {
				t.Errorf("Get returned %q, want %q", got.Code, tt.target)
			}
		})
	}
	t.Run("missing id", func(t *testing.T) {
		e := newTestEnv(t)
		if _, err := e.orgUC.Get(e.as("admin"), 999); !errors.Is(err, ErrOrgNotFound) {
			t.Fatalf("error = %v, want ErrOrgNotFound", err)
		}
	})
}

func TestOrgUpdate(t *testing.T) {
	tests := []struct {
		name, as, target string
		want             any
	}{
		{"staff renames child", "staffA", "A1", nil},
		{"staff renames own org", "staffA", "A", nil},
		{"staff cannot rename parent", "staffA", "ROOT", &PermissionError{}},
		{"staff of sibling gets not found", "staffB", "A1", ErrOrgNotFound},
		{"trainer cannot rename", "trainerA", "A1", &PermissionError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			before := e.state()
			name := "  新名称  "
			got, err := e.orgUC.Update(e.as(tt.as), e.org[tt.target].ID, &name, nil)
			wantErrKind(t, err, tt.want)
			if tt.want != nil {
				if diff := cmp.Diff(before, e.state()); diff != "" {
					t.Errorf("failed update changed the store (-before +after):\n%s", diff)
				}
				return
			}
			if got.Name != "新名称" || got.Code != tt.target {
				t.Errorf("updated = %q/%q, want 新名称/%s", got.Name, got.Code, tt.target)
			}
			recs := e.db.auditRecords()
			if len(recs) != 1 || recs[0].Action != "org.update" {
				t.Fatalf("audit = %+v", recs)
			}
			var b, a Org
			_ = json.Unmarshal([]byte(recs[0].Before), &b)
			_ = json.Unmarshal([]byte(recs[0].After), &a)
			if b.Name != e.org[tt.target].Name || a.Name != "新名称" {
				t.Errorf("audit before/after names = %q/%q", b.Name, a.Name)
			}
		})
	}
}

func TestOrgList(t *testing.T) {
	e := newTestEnv(t)
	codes := func(orgs []*Org) []string {
		var out []string
		for _, o := range orgs {
			out = append(out, o.Code)
		}
		return out
	}
	tests := []struct {
		name      string
		as        string
		root      string
		want      []string
		wantTotal int
		wantErr   any
	}{
		{"admin sees all", "admin", "", []string{"ROOT", "A", "A1", "A1a", "A2", "B"}, 6, nil},
		{"staff sees own subtree", "staffA", "", []string{"A", "A1", "A1a", "A2"}, 4, nil},
		{"trainer sees own subtree", "trainerA", "", []string{"A", "A1", "A1a", "A2"}, 4, nil},
		{"staff lists child subtree", "staffA", "A1", []string{"A1", "A1a"}, 2, nil},
		{"staff cannot list sibling", "staffA", "B", nil, 0, ErrOrgNotFound},
		{"member may not list", "memberA", "", nil, 0, &PermissionError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rootID int64
			if tt.root != "" {
				rootID = e.org[tt.root].ID
			}
			got, total, err := e.orgUC.List(e.as(tt.as), rootID, "", 0)
			wantErrKind(t, err, tt.wantErr)
			if diff := cmp.Diff(tt.want, codes(got)); diff != "" || total != tt.wantTotal {
				t.Errorf("List total %d (want %d), codes (-want +got):\n%s", total, tt.wantTotal, diff)
			}
		})
	}
}
