package kit

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"time"

	"github.com/go-kratos/kratos/v2/config"
	"github.com/go-kratos/kratos/v2/config/env"
	"github.com/go-kratos/kratos/v2/config/file"
	"google.golang.org/protobuf/types/known/emptypb"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/obs"
)

// LoadConfig reads a YAML config file into out (JSON field tags). Every ${NAME:default} in the
// file is taken from the environment variable VANGUARD_NAME when set. When out has a Validate
// method (a config embedding BaseConfig does) it runs right after loading, so a bad setting
// fails at start with the setting named.
func LoadConfig(path string, out any) error {
	// The config's watcher goroutines log through Kratos's global logger: fix it before they
	// start (a no-op when the binary has called NewLogger already).
	setGlobalLogger(obs.NewLogger(os.Stdout, "vanguard"))
	c := config.New(config.WithSource(env.NewSource("VANGUARD_"), file.NewSource(path)))
	defer c.Close()
	if err := c.Load(); err != nil {
		return fmt.Errorf("load config %s: %w", path, err)
	}
	if err := c.Scan(out); err != nil {
		return fmt.Errorf("parse config %s: %w", path, err)
	}
	if v, ok := out.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return fmt.Errorf("config %s: %w", path, err)
		}
	}
	return nil
}

// TokenKey returns the public key that verifies access tokens: from a PEM file when given,
// otherwise from the org service's Auth.GetPublicKey, retried until ctx ends (the org service
// may start after this one).
func TokenKey(ctx context.Context, pemFile string, client orgv1.AuthClient) (ed25519.PublicKey, error) {
	if pemFile != "" {
		data, err := os.ReadFile(pemFile)
		if err != nil {
			return nil, fmt.Errorf("token public key: %w", err)
		}
		return authn.ParsePublicKeyPEM(data)
	}
	for {
		pk, err := client.GetPublicKey(ctx, &emptypb.Empty{})
		if err == nil {
			return authn.ParsePublicKeyPEM([]byte(pk.PublicKeyPem))
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("token public key from org service: %w", err)
		case <-time.After(time.Second):
		}
	}
}
