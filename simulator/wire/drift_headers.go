package wire

import (
	"strconv"
	"strings"
)

// CheckRequestHeaders holds the HTTP header fields of one hook request,
// in the order received, against what Stalwart v0.16.18's client can
// send (PROTOCOL.md §1; reqwest 0.13 and hyper 1.11 as the comments of
// simulator/hookclient/headers.go and h2.go read them). Without
// httpHeaders it sends content-type: application/json, authorization
// (from the hook's httpAuth), accept: */*, host (HTTP/1.1 only) and
// content-length, in that order, names in lower case. The hook's
// httpHeaders (build_http_headers in crates/utils/src/http.rs) add any
// field after content-type, in configuration order, and replace a
// default's value in place: a user-agent, an accept-encoding, a
// content-type with a charset, an accept or a host of their own (kept
// over HTTP/2 as well) are all a configuration's doing, so none of them
// is a finding. What no configuration explains is:
//
//   - a protocol other than HTTP/1.1, or HTTP/2 to an https hook;
//   - a name not in lower case (hyper writes HeaderName's lower case);
//   - a name twice (the header map holds one value per name);
//   - no content-type, no accept, no host over HTTP/1.1 (reqwest and
//     hyper-util add the last two when absent);
//   - content-type neither first nor second after an authorization made
//     from credentials in the hook's URL; content-length not last;
//   - no content-length: the body is never empty, and hyper adds it
//     unless httpHeaders set transfer-encoding over HTTP/1.1, when it
//     sends the body chunked (making "chunked" the last coding) and
//     removes content-length (role.rs Client::set_length);
//   - a content-length that is not a decimal number;
//   - over HTTP/2, a connection-specific field (connection, keep-alive,
//     proxy-connection, transfer-encoding, upgrade, te other than
//     "trailers"), which hyper removes whatever httpHeaders say.
//
// proto is "HTTP/1.1" or "HTTP/2.0" ("HTTP/2" is taken too); fields are
// the regular fields only (any whose name starts with ':', an HTTP/2
// pseudo-header, is skipped).
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
			c.add(headerPath(name), "%s sends header names, the hook's httpHeaders' too, in lower case (as hyper writes them); this request has %s", model, quoteShort(f.Name))
		}
	}
	for _, name := range names {
		if k := count[name]; k > 1 {
			count[name] = 1
			c.add(headerPath(name), "%s sends each header field once (its header map holds one value per name); this request has %s %d times", model, quoteShort(name), k)
		}
	}
	has := func(name string) bool { return count[name] > 0 }
	chunked := false
	if h2 {
		for _, name := range []string{"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te"} {
			if has(name) && (name != "te" || values[name] != "trailers") {
				c.add(headerPath(name), "%s sends no connection-specific field over HTTP/2 (hyper removes them, the hook's httpHeaders' too); this request has %s", model, quoteShort(name))
			}
		}
	} else {
		if !has("host") {
			c.add(headerPath("host"), "%s sends host over HTTP/1.1 (hyper adds it); this request has none", model)
		}
		if te, ok := values["transfer-encoding"]; ok {
			chunked = true
			switch {
			case !lastCodingChunked(te):
				c.add(headerPath("transfer-encoding"), `%s sends transfer-encoding only when the hook's httpHeaders set one, and then with "chunked" last (hyper adds it); this request has %s`, model, quoteShort(te))
			case has("content-length"):
				c.add(headerPath("transfer-encoding"), "%s sends a body chunked only when the hook's httpHeaders set transfer-encoding, and then without content-length (hyper removes it); else with a content-length, never chunked; this request has both", model)
			}
		}
	}
	if !has("content-type") {
		c.add(headerPath("content-type"), "%s sends content-type (application/json, or the value the hook's httpHeaders give it) first; this request has none", model)
	}
	if !has("accept") {
		c.add(headerPath("accept"), "%s sends accept: */* (reqwest's default) unless the hook's httpHeaders set one; this request has none", model)
	}
	switch v, ok := values["content-length"]; {
	case !ok && !chunked:
		c.add(headerPath("content-length"), "%s sends content-length (the body is never empty; only a transfer-encoding the hook's httpHeaders set over HTTP/1.1 replaces it) last; this request has none", model)
	case ok:
		if n, err := strconv.ParseUint(v, 10, 63); err != nil || strconv.FormatUint(n, 10) != v {
			c.add(headerPath("content-length"), "%s sends content-length as the body's size in bytes; this request has %s", model, quoteShort(v))
		}
	}
	first := len(names) > 0 && names[0] == "content-type" || len(names) > 1 && names[0] == "authorization" && names[1] == "content-type"
	last := len(names) > 0 && names[len(names)-1] == "content-length"
	if has("content-type") && (!first || has("content-length") && !last) {
		order := "content-type, the hook's httpHeaders, authorization, accept, host, content-length"
		if h2 {
			order = "content-type, the hook's httpHeaders, authorization, accept, content-length"
		}
		got := nameList(names)
		c.add("http.headers", "%s sends content-type first and content-length last (%s); this request has %s", model, order, got)
	}
	return CompactLints(c.lints)
}

// lastCodingChunked reports whether the last coding of a
// transfer-encoding value is chunked, as hyper's headers::is_chunked
// reads it (case-insensitive, white space trimmed).
func lastCodingChunked(v string) bool {
	i := strings.LastIndexByte(v, ',')
	return strings.EqualFold(strings.TrimSpace(v[i+1:]), "chunked")
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
