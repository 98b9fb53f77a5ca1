package gateway

import (
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
)

// Handler is the gateway: /v1/… requests go to the service the table names, /openapi/<svc>.yaml
// to that service, /healthz answers here, and every other path is the web app's (web; nil: 404).
// A /v1 path no route matches is answered here with 404 and never reaches a service.
func Handler(t *Table, upstreams map[string]*url.URL, web http.Handler) (http.Handler, error) {
	proxies := map[string]*httputil.ReverseProxy{}
	for _, r := range t.routes {
		if _, ok := proxies[r.Service]; ok {
			continue
		}
		u, ok := upstreams[r.Service]
		if !ok || u == nil {
			return nil, fmt.Errorf("gateway: no upstream for %s", r.Service)
		}
		proxies[r.Service] = &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(u)
				pr.Out.Host = pr.In.Host // the service sees the public host (signed URLs, cookies)
				pr.SetXForwarded()
			},
			ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
				writeError(w, http.StatusBadGateway, "UNAVAILABLE", "服务暂时不可用，请稍后再试")
			},
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/healthz":
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("ok"))
		case strings.HasPrefix(r.URL.Path, "/v1/"):
			route, ok := t.Match(r.Method, r.URL.Path)
			if !ok {
				writeError(w, http.StatusNotFound, "NOT_FOUND", "接口不存在")
				return
			}
			proxies[route.Service].ServeHTTP(w, r)
		case strings.HasPrefix(r.URL.Path, "/openapi/") && strings.HasSuffix(r.URL.Path, ".yaml"):
			svc := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/openapi/"), ".yaml")
			if p, ok := proxies[svc]; ok && r.Method == http.MethodGet {
				p.ServeHTTP(w, r)
				return
			}
			http.NotFound(w, r)
		case web != nil:
			web.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	}), nil
}

func writeError(w http.ResponseWriter, code int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = fmt.Fprintf(w, `{"code":%d,"reason":%q,"message":%q,"metadata":{}}`, code, reason, msg)
}
