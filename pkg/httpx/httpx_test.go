package httpx

import (
	"net/http/httptest"
	"strings"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"google.golang.org/protobuf/types/known/structpb"
)

// The API takes JSON only: declared JSON (any parameters, +json suffixes) and undeclared bodies
// that look like JSON are parsed; undeclared non-JSON and every other media type get 415;
// malformed JSON gets 400 CODEC; an empty body decodes to nothing.
func TestRequestDecoder(t *testing.T) {
	const obj = `{"username":"admin"}`
	tests := []struct {
		name, ct, body string
		code           int
	}{
		{"json", "application/json", obj, 0},
		{"json with charset", "application/json; charset=utf-8", obj, 0},
		{"json upper case", "Application/JSON", obj, 0},
		{"problem+json", "application/merge-patch+json", obj, 0},
		{"no content type", "", obj, 0},
		{"no content type, leading blanks and BOM", "", "\xef\xbb\xbf \n\t" + obj, 0},
		{"no content type, not json", "", "username=admin", 415},
		{"form", "application/x-www-form-urlencoded", obj, 415},
		{"text/plain", "text/plain", obj, 415},
		{"xml", "application/xml", "<a/>", 415},
		{"multipart", "multipart/form-data; boundary=x", obj, 415},
		{"garbage content type", ";;;", obj, 415},
		{"malformed json", "application/json", `{"username":`, 400},
		{"empty body, any type", "text/plain", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/v1/auth/login", strings.NewReader(tt.body))
			if tt.ct != "" {
				r.Header.Set("Content-Type", tt.ct)
			}
			var v structpb.Struct
			err := RequestDecoder(r, &v)
			if got := int(kerrors.Code(err)); err == nil && tt.code != 0 || err != nil && got != tt.code {
				t.Fatalf("err = %v, want code %d", err, tt.code)
			}
			if tt.code == 415 && (kerrors.Reason(err) != ReasonUnsupportedMediaType || !strings.Contains(kerrors.FromError(err).Message, "application/json")) {
				t.Fatalf("415 error = %v", err)
			}
			if tt.code == 0 && tt.body != "" && v.Fields["username"].GetStringValue() != "admin" {
				t.Fatalf("decoded %v", &v)
			}
		})
	}
}
