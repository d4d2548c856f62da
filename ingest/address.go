package ingest

import (
	"fmt"
	"net/netip"
	"syscall"
)

// publicAddr reports whether a is an address the crawler may connect to when private targets are not
// allowed: a globally routable unicast address, not one that reaches this host, its networks, or cloud
// metadata services.
func publicAddr(a netip.Addr) bool {
	a = a.WithZone("").Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() || a.IsMulticast() ||
		a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() {
		return false
	}
	if a.Is4() {
		b := a.As4()
		switch {
		case b[0] == 0: // 0.0.0.0/8 "this network"; Linux routes it to the local host
			return false
		case b[0] == 100 && b[1]&0xc0 == 64: // 100.64.0.0/10 carrier-grade NAT
			return false
		case b[0] == 198 && b[1]&0xfe == 18: // 198.18.0.0/15 benchmarking
			return false
		case b[0] >= 240: // 240.0.0.0/4 reserved, incl. 255.255.255.255 broadcast
			return false
		}
		return true
	}
	// NAT64 (64:ff9b::/96) carries an IPv4 address that the gateway will reach for us.
	b := a.As16()
	if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && [8]byte(b[4:12]) == [8]byte{} {
		return publicAddr(netip.AddrFrom4([4]byte(b[12:16])))
	}
	return true
}

// guardDial is a net.Dialer.Control function that refuses non-public addresses. It runs after name
// resolution, for every connection, so it also covers redirects and DNS rebinding.
func guardDial(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s %s: %w", network, address, ErrBlockedAddress)
	}
	if !publicAddr(ap.Addr()) {
		return fmt.Errorf("dial %s: %w", address, ErrBlockedAddress)
	}
	return nil
}
