package server

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"seckill/functions/telemetry"
)

// Check reports the first setting that cannot work, so that Run refuses to
// start rather than serve with it. It never includes a secret's value.
func (cfg Config) Check() error {
	if _, err := telemetry.ParseLevel(cfg.LogLevel); err != nil {
		return err
	}
	switch {
	case cfg.RequestTimeout <= 0:
		return errors.New("REQUEST_TIMEOUT must be positive")
	case cfg.DurabilityCheckInterval <= 0:
		return errors.New("DURABILITY_CHECK_INTERVAL must be positive")
	case cfg.BodyLimit <= 0:
		return errors.New("BODY_LIMIT must be positive")
	case cfg.LogSample < 1:
		return errors.New("LOG_SAMPLE must be at least 1 (1 logs every request)")
	case cfg.SoldOutBuyers < 0:
		return errors.New("SOLD_OUT_BUYERS must be 0 (off) or positive")
	}
	if err := cfg.RateLimitConfig.Check(); err != nil {
		return err
	}
	if err := cfg.PaymentConfig.Check(); err != nil {
		return err
	}
	if err := cfg.AdmissionConfig.Check(); err != nil {
		return err
	}
	if cfg.ProxyHeader != "" && len(cfg.TrustedProxies) == 0 {
		return errors.New("PROXY_HEADER needs TRUSTED_PROXIES: a client IP header from anyone else could be forged")
	}
	for _, p := range trimmed(cfg.TrustedProxies) {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				return fmt.Errorf("TRUSTED_PROXIES: %q is neither an IP nor a CIDR", p)
			}
		}
	}
	return cfg.TokenConfig.Check()
}

// trimmed returns the items of a comma-separated setting without spaces.
func trimmed(items []string) []string {
	out := make([]string, 0, len(items))
	for _, s := range items {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
