// Package httpx holds HTTP transport pieces every service shares: the request body decoder and
// the error encoder.
package httpx

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-kratos/kratos/v2/encoding"
	kjson "github.com/go-kratos/kratos/v2/encoding/json"
	"github.com/go-kratos/kratos/v2/errors"
	khttp "github.com/go-kratos/kratos/v2/transport/http"
)

// ReasonUnsupportedMediaType is the error reason of a request body in a format the API does not
// take (HTTP 415).
const ReasonUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"

// RequestDecoder decodes request bodies for the generated HTTP handlers. The API speaks JSON
// only; Kratos' default decoder picks any registered codec from Content-Type (form, XML, YAML …),
// so e.g. `curl -d '{...}'` (which sends application/x-www-form-urlencoded) had its JSON parsed as
// one form key and was answered with a misleading field error.
//
//   - Content-Type application/json or application/*+json (any parameters): parsed as JSON.
//   - No Content-Type: parsed as JSON if the body looks like JSON (first non-blank byte is "{" or
//     "["), otherwise 415 — guessing any other format would repeat the form mistake.
//   - Any other Content-Type (form, text/plain, XML, multipart …): 415 with a Chinese message.
//   - An empty body decodes to nothing whatever the Content-Type, as with Kratos' decoder.
func RequestDecoder(r *http.Request, v any) error {
	data, err := io.ReadAll(r.Body)
	// Reset the body so later readers (none today) see it too.
	r.Body = io.NopCloser(bytes.NewReader(data))
	if err != nil {
		return errors.BadRequest("CODEC", "读取请求体失败")
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if len(data) == 0 {
		return nil
	}
	ct := strings.TrimSpace(r.Header.Get("Content-Type"))
	switch {
	case ct == "":
		if !looksLikeJSON(data) {
			return errors.New(http.StatusUnsupportedMediaType, ReasonUnsupportedMediaType,
				"请求缺少 Content-Type，请以 application/json 格式提交")
		}
	case !isJSONMediaType(ct):
		return errors.New(http.StatusUnsupportedMediaType, ReasonUnsupportedMediaType,
			fmt.Sprintf("不支持的请求内容类型 %q，请以 application/json 格式提交", truncate(ct, 64)))
	}
	if err := encoding.GetCodec(kjson.Name).Unmarshal(data, v); err != nil {
		return errors.BadRequest("CODEC", "请求体不是有效的 JSON，或字段类型不符："+err.Error())
	}
	return nil
}

// isJSONMediaType reports whether a Content-Type header names JSON.
func isJSONMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

var utf8BOM = []byte("\xef\xbb\xbf")

// looksLikeJSON reports whether data, after leading blanks, starts like a JSON object or array.
func looksLikeJSON(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) > 0 && (data[0] == '{' || data[0] == '[')
}

// truncate keeps at most n bytes of s, never cutting a character in two, and marks a cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

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
