package wire

import (
	"strconv"
	"strings"
)

// CheckRequestHeaders holds the HTTP header fields of one hook request,
// in the order received, against what Stalwart v0.16.18's client sends
// (PROTOCOL.md §1; reqwest 0.13 and hyper 1.11 as the comments of
// simulator/hookclient/headers.go and h2.go read them): names in lower
// case, each once; content-type: application/json first (or second,
// after an authorization made from credentials in the hook's URL); then
// the hook's httpHeaders in configuration order, authorization, accept:
// */* unless httpHeaders set one, host (HTTP/1.1 only) unless httpHeaders
// set one, and content-length last; no user-agent, accept-encoding or
// transfer-encoding, and over HTTP/2 no host or connection-specific
// field. proto is "HTTP/1.1" or "HTTP/2.0" ("HTTP/2" is taken too);
// fields are the regular fields only (any whose name starts with ':', an
// HTTP/2 pseudo-header, is skipped). Since httpHeaders may hold any name,
// the order is checked only where no configuration can change it:
// content-type first and content-length last.
//
// Findings have Code LintDrift and Path "http.headers.<name>" (the name
// lower-cased), "http.headers" for the order, or "http.version" for a
// protocol Stalwart does not speak; repeats are compacted. It never
// fails and never panics.
func CheckRequestHeaders(proto string, fields []Header) []Lint {
	c := &driftCheck{v: &reqView{}}
	h2 := false
	switch proto {
	case "HTTP/1.1":
	case "HTTP/2.0", "HTTP/2":
		h2 = true
	default:
		c.add("http.version", "%s speaks HTTP/1.1, or HTTP/2 to an https hook that offers it by ALPN; this request came over %s", model, quoteShort(proto))
	}
	var names []string
	values := map[string]string{}
	count := map[string]int{}
	for _, f := range fields {
		if strings.HasPrefix(f.Name, ":") {
			continue
		}
		name := strings.ToLower(f.Name)
		names = append(names, name)
		if count[name] == 0 {
			values[name] = f.Value
		}
		count[name]++
		if f.Name != name {
			c.add(headerPath(name), "%s sends header names in lower case (as hyper writes them); this request has %s", model, quoteShort(f.Name))
		}
	}
	for _, name := range names {
		if k := count[name]; k > 1 {
			count[name] = 1
			c.add(headerPath(name), "%s sends each header field once (its header map holds one value per name); this request has %s %d times", model, quoteShort(name), k)
		}
	}
	has := func(name string) bool { return count[name] > 0 }
	if has("user-agent") {
		c.add(headerPath("user-agent"), "%s sends no user-agent (its hook client sets none) unless the hook's httpHeaders name one; this request has %s", model, quoteShort(values["user-agent"]))
	}
	if has("accept-encoding") {
		c.add(headerPath("accept-encoding"), "%s sends no accept-encoding (reqwest is built without compression) unless the hook's httpHeaders name one; this request has %s", model, quoteShort(values["accept-encoding"]))
	}
	if has("transfer-encoding") {
		c.add(headerPath("transfer-encoding"), "%s sends the body with a content-length, never chunked; this request has transfer-encoding %s", model, quoteShort(values["transfer-encoding"]))
	}
	if h2 {
		if has("host") {
			c.add(headerPath("host"), "%s sends no host field over HTTP/2 (the authority goes in :authority); this request has %s", model, quoteShort(values["host"]))
		}
		for _, name := range []string{"connection", "keep-alive", "proxy-connection", "upgrade", "te"} {
			if has(name) && (name != "te" || values[name] != "trailers") {
				c.add(headerPath(name), "%s sends no connection-specific field over HTTP/2 (hyper removes them); this request has %s", model, quoteShort(name))
			}
		}
	} else if !has("host") {
		c.add(headerPath("host"), "%s sends host over HTTP/1.1 (hyper adds it); this request has none", model)
	}
	switch v, ok := values["content-type"]; {
	case !ok:
		c.add(headerPath("content-type"), "%s sends content-type: application/json first; this request has none", model)
	case v != "application/json":
		c.add(headerPath("content-type"), "%s sends content-type: application/json (no charset) unless the hook's httpHeaders set another; this request has %s", model, quoteShort(v))
	}
	if !has("accept") {
		c.add(headerPath("accept"), "%s sends accept: */* (reqwest's default) unless the hook's httpHeaders set one; this request has none", model)
	}
	switch v, ok := values["content-length"]; {
	case !ok:
		c.add(headerPath("content-length"), "%s sends content-length (the body is never empty) last; this request has none", model)
	default:
		if n, err := strconv.ParseUint(v, 10, 63); err != nil || strconv.FormatUint(n, 10) != v {
			c.add(headerPath("content-length"), "%s sends content-length as the body's size in bytes; this request has %s", model, quoteShort(v))
		}
	}
	first := len(names) > 0 && names[0] == "content-type" || len(names) > 1 && names[0] == "authorization" && names[1] == "content-type"
	last := len(names) > 0 && names[len(names)-1] == "content-length"
	if has("content-type") && has("content-length") && (!first || !last) {
		order := "content-type, the hook's httpHeaders, authorization, accept, host, content-length"
		if h2 {
			order = "content-type, the hook's httpHeaders, authorization, accept, content-length"
		}
		got := nameList(names)
		c.add("http.headers", "%s sends content-type first and content-length last (%s); this request has %s", model, order, got)
	}
	return CompactLints(c.lints)
}

// nameList joins names for a message: the first twenty, each quoted
// when it is not a plain token.
func nameList(names []string) string {
	var b strings.Builder
	for i, n := range names {
		if i == 20 {
			b.WriteString(", ...")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if plainToken(n) {
			b.WriteString(n)
		} else {
			b.WriteString(quoteShort(n))
		}
	}
	return b.String()
}

// plainToken reports whether s is short and made of letters, digits
// and '-', '_', '.'.
func plainToken(s string) bool {
	if s == "" || len(s) > 60 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// headerPath is the path of a finding about header field name.
func headerPath(name string) string { return "http.headers." + name }
