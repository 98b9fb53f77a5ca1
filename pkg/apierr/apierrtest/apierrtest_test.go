package apierrtest_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vanguard/vanguard/pkg/apierr/apierrtest"
)

func TestExportedErrors(t *testing.T) {
	got := apierrtest.ExportedErrors(t, "testdata/biz")
	want := []string{"ErrGone", "ErrWrapped", "FieldError", "ImportError", "Local", "NotFoundish", "StateError"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ExportedErrors (-want +got):\n%s", diff)
	}
}

func TestProtoReasons(t *testing.T) {
	got := apierrtest.ProtoReasons(t, "testdata/error_reason.proto")
	want := map[string]int{"INTERNAL": 500, "INVALID_ARGUMENT": 400, "GONE": 404, "ODD": 500}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ProtoReasons (-want +got):\n%s", diff)
	}
}
