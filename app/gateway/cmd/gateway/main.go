// Command gateway is the distributed mode's one public entry: it serves the web app and routes
// every /v1 request to the service that owns it, by the route table generated from the protos'
// google.api.http rules (pkg/gateway). Build it with -tags webui to embed the web app.
//
//	gateway -conf app/gateway/configs/config.yaml
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	_ "github.com/vanguard/vanguard/api"
	"github.com/vanguard/vanguard/pkg/gateway"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/webui"
)

type fileConfig struct {
	Server struct {
		HTTPAddr string `json:"http_addr"`
	} `json:"server"`
	// Upstreams are the services' HTTP endpoints (http://org:8000), by service name.
	Upstreams map[string]string `json:"upstreams"`
}

// Validate checks the configuration right after loading: an address, and an absolute URL for
// every service the route table names.
func (c *fileConfig) Validate() error {
	var errs []error
	if c.Server.HTTPAddr == "" {
		errs = append(errs, errors.New("server.http_addr: required (host:port)"))
	}
	names := make([]string, 0, len(c.Upstreams))
	for n := range c.Upstreams {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if u, err := url.Parse(c.Upstreams[n]); err != nil || u.Scheme == "" || u.Host == "" {
			errs = append(errs, fmt.Errorf("upstreams.%s: %q is not an absolute URL (http://host:port)", n, c.Upstreams[n]))
		}
	}
	return errors.Join(errs...)
}

func main() { kit.Main("gateway", run) }

// handler builds the gateway from the configuration.
func handler(fc *fileConfig) (http.Handler, error) {
	routes, err := gateway.ProtoRoutes()
	if err != nil {
		return nil, err
	}
	table, err := gateway.NewTable(append(routes, gateway.Extra...))
	if err != nil {
		return nil, err
	}
	ups := map[string]*url.URL{}
	for n, raw := range fc.Upstreams {
		if ups[n], err = url.Parse(raw); err != nil {
			return nil, err
		}
	}
	return gateway.Handler(table, ups, webui.Handler(webui.Files(), time.Now()))
}

func run(args []string) error {
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	conf := fs.String("conf", "app/gateway/configs/config.yaml", "config file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var fc fileConfig
	if err := kit.LoadConfig(*conf, &fc); err != nil {
		return err
	}
	h, err := handler(&fc)
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: fc.Server.HTTPAddr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	fmt.Println("gateway: listening on", fc.Server.HTTPAddr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
