// Package httpx holds HTTP transport pieces every service shares: the error encoder and the
// probes.
package httpx

import (
	"net/http"
	"strconv"

	"github.com/go-kratos/kratos/v2/errors"
	khttp "github.com/go-kratos/kratos/v2/transport/http"
)

// ErrorEncoder writes Kratos errors as JSON like the default encoder, and turns metadata
// "retry_after" (seconds) into a Retry-After header so clients of rate-limited calls know how
// long to wait. Internal errors never expose their cause.
func ErrorEncoder(w http.ResponseWriter, r *http.Request, err error) {
	se := errors.FromError(err)
	if se.Code >= 500 {
		se = errors.New(int(se.Code), se.Reason, "服务器内部错误，请稍后重试")
	}
	if ra := se.Metadata["retry_after"]; ra != "" {
		if _, perr := strconv.Atoi(ra); perr == nil {
			w.Header().Set("Retry-After", ra)
		}
	}
	khttp.DefaultErrorEncoder(w, r, se)
}
