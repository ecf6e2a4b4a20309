package hookconf

import (
	"fmt"
	"github.com/hooksim/hooksim/simulator/internal/text"
	"net/netip"
	"strings"
	"unicode"
)

// exprFunc is one function of Stalwart's expression language. unsupported
// is set for functions Stalwart has but hooksim cannot evaluate.
type exprFunc struct {
	name        string
	arity       int
	call        func(args []value) value
	unsupported string
}

// lookupFunc finds a function by name: every function Stalwart v0.16
// defines is known, so that a typo and a function hooksim lacks get
// different messages.
func lookupFunc(name string) (*exprFunc, bool) {
	f := &exprFunc{name: name}
	switch name {
	case "count":
		f.arity, f.call = 1, fnCount
	case "dedup":
		f.arity, f.call = 1, fnDedup
	case "winnow":
		f.arity, f.call = 1, fnWinnow
	case "is_intersect":
		f.arity, f.call = 2, fnIsIntersect
	case "email_part":
		f.arity, f.call = 2, fnEmailPart
	case "is_empty":
		f.arity, f.call = 1, fnIsEmpty
	case "is_number":
		f.arity, f.call = 1, func(a []value) value { return boolVal(a[0].kind == kInt || a[0].kind == kFloat) }
	case "is_ip_addr":
		f.arity, f.call = 1, func(a []value) value { _, ok := parseRustIP(a[0].str()); return boolVal(ok) }
	case "is_ipv4_addr":
		f.arity, f.call = 1, func(a []value) value { ip, ok := parseRustIP(a[0].str()); return boolVal(ok && ip.Is4()) }
	case "is_ipv6_addr":
		f.arity, f.call = 1, func(a []value) value { ip, ok := parseRustIP(a[0].str()); return boolVal(ok && ip.Is6()) }
	case "is_ip_in_cidr":
		f.arity, f.call = 2, fnIsIPInCIDR
	case "trim":
		f.arity, f.call = 1, func(a []value) value {
			return transform(a[0], func(s string) value { return strVal(strings.TrimSpace(s)) })
		}
	case "trim_end":
		f.arity, f.call = 1, func(a []value) value {
			return transform(a[0], func(s string) value { return strVal(strings.TrimRightFunc(s, unicode.IsSpace)) })
		}
	case "trim_start":
		f.arity, f.call = 1, func(a []value) value {
			return transform(a[0], func(s string) value { return strVal(strings.TrimLeftFunc(s, unicode.IsSpace)) })
		}
	case "len":
		f.arity, f.call = 1, fnLen
	case "to_lowercase":
		f.arity, f.call = 1, func(a []value) value {
			return transform(a[0], func(s string) value { return strVal(strings.ToLower(s)) })
		}
	case "to_uppercase":
		f.arity, f.call = 1, func(a []value) value {
			return transform(a[0], func(s string) value { return strVal(strings.ToUpper(s)) })
		}
	case "has_digits":
		f.arity, f.call = 1, func(a []value) value {
			return transform(a[0], func(s string) value { return boolVal(strings.ContainsAny(s, "0123456789")) })
		}
	case "contains":
		f.arity, f.call = 2, fnContains
	case "contains_ignore_case":
		f.arity, f.call = 2, fnContainsIgnoreCase
	case "eq_ignore_case":
		f.arity, f.call = 2, func(a []value) value { return boolVal(text.EqualFoldASCII(a[0].str(), a[1].str())) }
	case "starts_with":
		f.arity, f.call = 2, func(a []value) value { return boolVal(strings.HasPrefix(a[0].str(), a[1].str())) }
	case "ends_with":
		f.arity, f.call = 2, func(a []value) value { return boolVal(strings.HasSuffix(a[0].str(), a[1].str())) }
	case "strip_prefix":
		f.arity, f.call = 2, func(a []value) value {
			p := a[1].str()
			return transform(a[0], func(s string) value {
				if r, ok := strings.CutPrefix(s, p); ok {
					return strVal(r)
				}
				return strVal("")
			})
		}
	case "strip_suffix":
		f.arity, f.call = 2, func(a []value) value {
			p := a[1].str()
			return transform(a[0], func(s string) value {
				if r, ok := strings.CutSuffix(s, p); ok {
					return strVal(r)
				}
				return strVal("")
			})
		}
	case "split":
		f.arity, f.call = 2, fnSplit
	case "split_once":
		f.arity, f.call = 2, func(a []value) value {
			if x, y, ok := strings.Cut(a[0].str(), a[1].str()); ok {
				return arrVal([]value{strVal(x), strVal(y)})
			}
			return strVal("")
		}
	case "if_then":
		f.arity, f.call = 3, func(a []value) value {
			if a[0].truthy() {
				return a[1]
			}
			return a[2]
		}
	case "sort", "is_email", "ip_reverse_name", "is_uppercase", "is_lowercase", "count_spaces",
		"count_uppercase", "count_lowercase", "count_chars", "lines", "substring", "rsplit",
		"rsplit_once", "split_n", "split_words", "hash":
		f.unsupported = fmt.Sprintf("function %q exists in Stalwart but hooksim does not implement it", name)
	case "is_local_domain", "is_local_address", "key_get", "key_exists", "key_set",
		"counter_incr", "counter_get", "dns_query", "sql_query":
		f.unsupported = fmt.Sprintf("function %q needs Stalwart's directory, stores or DNS; hooksim cannot evaluate it", name)
	default:
		return nil, false
	}
	return f, true
}

// transform applies f to a string, or to every item of an array.
func transform(v value, f func(string) value) value {
	if v.kind != kArray {
		return f(v.str())
	}
	out := make([]value, len(v.a))
	for i, it := range v.a {
		out[i] = f(it.str())
	}
	return arrVal(out)
}

func fnCount(a []value) value {
	switch {
	case a[0].kind == kArray:
		return intVal(int64(len(a[0].a)))
	case a[0].isEmptyStr():
		return intVal(0)
	}
	return intVal(1)
}

func fnDedup(a []value) value {
	var out []value
	for _, it := range a[0].array() {
		dup := false
		for _, o := range out {
			if equal(o, it) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, it)
		}
	}
	return arrVal(out)
}

func fnWinnow(a []value) value {
	if a[0].kind != kArray {
		return a[0]
	}
	var out []value
	for _, it := range a[0].a {
		if !it.isEmptyStr() {
			out = append(out, it)
		}
	}
	return arrVal(out)
}

func arrayContains(arr []value, v value) bool {
	for _, it := range arr {
		if equal(it, v) {
			return true
		}
	}
	return false
}

func fnIsIntersect(a []value) value {
	x, y := a[0], a[1]
	switch {
	case x.kind == kArray && y.kind == kArray:
		for _, it := range x.a {
			if arrayContains(y.a, it) {
				return intVal(1)
			}
		}
		return intVal(0)
	case x.kind == kArray:
		return boolVal(arrayContains(x.a, y))
	case y.kind == kArray:
		return boolVal(arrayContains(y.a, x))
	}
	return intVal(0)
}

func fnEmailPart(a []value) value {
	part := a[1].str()
	return transform(a[0], func(s string) value {
		i := strings.LastIndexByte(s, '@')
		if i < 0 {
			return strVal("")
		}
		switch part {
		case "local":
			return strVal(strings.TrimSpace(s[:i]))
		case "domain":
			return strVal(strings.TrimSpace(s[i+1:]))
		}
		return strVal("")
	})
}

func fnIsEmpty(a []value) value {
	switch a[0].kind {
	case kString:
		return boolVal(a[0].s == "")
	case kArray:
		return boolVal(len(a[0].a) == 0)
	}
	return intVal(0)
}

func fnLen(a []value) value {
	switch a[0].kind {
	case kString:
		return intVal(int64(len(a[0].s)))
	case kArray:
		return intVal(int64(len(a[0].a)))
	}
	return intVal(int64(len(a[0].str())))
}

func fnContains(a []value) value {
	switch a[0].kind {
	case kString:
		return boolVal(strings.Contains(a[0].s, a[1].str()))
	case kArray:
		return boolVal(arrayContains(a[0].a, a[1]))
	}
	return boolVal(strings.Contains(a[0].str(), a[1].str()))
}

func fnContainsIgnoreCase(a []value) value {
	needle := a[1].str()
	switch a[0].kind {
	case kString:
		return boolVal(strings.Contains(strings.ToLower(a[0].s), strings.ToLower(needle)))
	case kArray:
		for _, it := range a[0].a {
			if it.kind == kString && text.EqualFoldASCII(it.s, needle) {
				return intVal(1)
			}
		}
		return intVal(0)
	}
	return boolVal(strings.Contains(a[0].str(), needle))
}

func fnSplit(a []value) value {
	parts := strings.Split(a[0].str(), a[1].str())
	out := make([]value, len(parts))
	for i, p := range parts {
		out[i] = strVal(p)
	}
	return arrVal(out)
}

// parseRustIP parses an IP address as Rust's IpAddr::from_str does: no
// zones, no brackets.
func parseRustIP(s string) (netip.Addr, bool) {
	if strings.ContainsAny(s, "%[]") {
		return netip.Addr{}, false
	}
	ip, err := netip.ParseAddr(s)
	return ip, err == nil
}

// fnIsIPInCIDR follows Stalwart's IpAddrOrMask: "addr" or "addr/prefix"
// with a prefix of at least 8; IPv4 and IPv4-mapped IPv6 addresses match
// each other.
func fnIsIPInCIDR(a []value) value {
	ip, ok := parseRustIP(a[0].str())
	if !ok {
		return intVal(0)
	}
	mask := a[1].str()
	addrStr, bitsStr, hasSlash := strings.Cut(mask, "/")
	if i := strings.LastIndexByte(mask, '/'); i >= 0 {
		addrStr, bitsStr = mask[:i], mask[i+1:]
	}
	if !hasSlash {
		net, ok := parseRustIP(strings.TrimSpace(mask))
		if !ok {
			return intVal(0)
		}
		if net.Is4() {
			return boolVal(ip.Is4() && ip == net || ip.Is6() && ip.Is4In6() && ip.Unmap() == net)
		}
		if ip.Is4() {
			return boolVal(netip.AddrFrom16(ip.As16()) == net)
		}
		return boolVal(ip == net)
	}
	net, ok := parseRustIP(strings.TrimSpace(addrStr))
	if !ok {
		return intVal(0)
	}
	bits, ok := parseU32(strings.TrimSpace(bitsStr))
	if !ok {
		return intVal(0)
	}
	if net.Is4() {
		if bits < 8 || bits > 32 {
			return intVal(0)
		}
		if bits == 32 {
			return boolVal(ip.Is4() && ip == net || ip.Is6() && ip.Is4In6() && ip.Unmap() == net)
		}
		var v4 netip.Addr
		switch {
		case ip.Is4():
			v4 = ip
		case ip.Is6():
			b := ip.As16()
			// Rust's to_ipv4: IPv4-mapped (::ffff:a.b.c.d) or IPv4-compatible (::a.b.c.d).
			for i := 0; i < 10; i++ {
				if b[i] != 0 {
					return intVal(0)
				}
			}
			if !(b[10] == 0 && b[11] == 0 || b[10] == 0xff && b[11] == 0xff) {
				return intVal(0)
			}
			v4 = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
		}
		p, err := net.Prefix(int(bits))
		return boolVal(err == nil && p.Contains(v4))
	}
	if bits < 8 || bits > 128 {
		return intVal(0)
	}
	v6 := netip.AddrFrom16(ip.As16())
	if bits == 128 {
		return boolVal(v6 == net)
	}
	p, err := net.Prefix(int(bits))
	return boolVal(err == nil && p.Contains(v6))
}

func parseU32(s string) (uint32, bool) {
	if s == "" || len(s) > 11 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i == 0 && c == '+' && len(s) > 1 {
			continue
		}
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if n > 1<<32-1 {
		return 0, false
	}
	return uint32(n), true
}
