package auth

import "net/netip"

// clientNet returns the rate-limit identity of a client address, as Fiber
// reports it (c.IP(): the peer's address, or PROXY_HEADER's from one of
// TRUSTED_PROXIES): an IPv4 address as it is, an IPv6 address as its /64
// prefix, because one subscriber is usually given a whole /64 and could
// otherwise take a fresh bucket for every request. An address that does not
// parse is "unknown", one bucket for all of them.
func clientNet(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return "unknown"
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is4() {
		return addr.String()
	}
	return netip.PrefixFrom(addr, 64).Masked().String()
}
