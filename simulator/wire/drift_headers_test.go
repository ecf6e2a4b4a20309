package wire

import (
	"strings"
	"testing"
)

// fieldList builds header fields from "name: value" strings.
func fieldList(lines ...string) []Header {
	out := make([]Header, 0, len(lines))
	for _, l := range lines {
		name, value, _ := strings.Cut(l, ": ")
		out = append(out, Header{Name: name, Value: value})
	}
	return out
}

// TestCheckRequestHeadersPass: header lists Stalwart v0.16.18 sends.
func TestCheckRequestHeadersPass(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, proto string
		fields      []Header
	}{
		{"HTTP/1.1 plain", "HTTP/1.1", fieldList("content-type: application/json", "accept: */*", "host: 127.0.0.1:8080", "content-length: 412")},
		{"HTTP/1.1 custom and Basic", "HTTP/1.1", fieldList("content-type: application/json", "x-b: 2", "x-a: 1", "authorization: Basic dTpz", "accept: */*", "host: hook.example", "content-length: 9")},
		{"HTTP/1.1 URL credentials first", "HTTP/1.1", fieldList("authorization: Basic dTpz", "content-type: application/json", "accept: */*", "host: hook.example", "content-length: 9")},
		{"HTTP/1.1 custom accept and host", "HTTP/1.1", fieldList("content-type: application/json", "accept: application/json", "host: other.example", "authorization: Bearer t", "content-length: 9")},
		{"HTTP/2", "HTTP/2.0", fieldList("content-type: application/json", "x-token: t", "authorization: Bearer t", "accept: */*", "content-length: 9")},
		{"HTTP/2 with pseudo-headers given", "HTTP/2", fieldList(":method: POST", ":authority: hook.example", "content-type: application/json", "accept: */*", "te: trailers", "content-length: 9")},
		// httpHeaders may name any field and give a default another value
		// (build_http_headers, crates/utils/src/http.rs).
		{"httpHeaders' user-agent and accept-encoding", "HTTP/1.1", fieldList("content-type: application/json", "user-agent: stalwart-hook/1", "accept-encoding: gzip", "accept: */*", "host: h", "content-length: 9")},
		{"httpHeaders' content-type with a charset", "HTTP/1.1", fieldList("content-type: application/json; charset=utf-8", "accept: */*", "host: h", "content-length: 9")},
		{"httpHeaders' host over HTTP/2", "HTTP/2.0", fieldList("content-type: application/json", "host: other.example", "accept: */*", "content-length: 9")},
		// httpHeaders' transfer-encoding: hyper sends the body chunked,
		// "chunked" last, and removes content-length.
		{"httpHeaders' transfer-encoding", "HTTP/1.1", fieldList("content-type: application/json", "transfer-encoding: gzip, Chunked", "accept: */*", "host: h")},
	} {
		if lints := CheckRequestHeaders(tc.proto, tc.fields); len(lints) > 0 {
			t.Errorf("%s: %v", tc.name, lints)
		}
	}
}

// TestCheckRequestHeadersDrift: each difference is one finding at its path.
func TestCheckRequestHeadersDrift(t *testing.T) {
	t.Parallel()
	h1 := []string{"content-type: application/json", "accept: */*", "host: h.example", "content-length: 9"}
	h2 := []string{"content-type: application/json", "accept: */*", "content-length: 9"}
	with := func(base []string, i int, lines ...string) []Header {
		out := append([]string(nil), base[:i]...)
		out = append(out, lines...)
		return fieldList(append(out, base[i:]...)...)
	}
	without := func(base []string, name string) []Header {
		var out []string
		for _, l := range base {
			if !strings.HasPrefix(l, name+":") {
				out = append(out, l)
			}
		}
		return fieldList(out...)
	}
	replace := func(base []string, i int, line string) []Header {
		out := append([]string(nil), base...)
		out[i] = line
		return fieldList(out...)
	}
	for _, tc := range []struct {
		name, proto string
		fields      []Header
		path, words string
	}{
		{"title case", "HTTP/1.1", replace(h1, 0, "Content-Type: application/json"), "http.headers.content-type", `in lower case (as hyper writes them); this request has "Content-Type"`},
		{"no content-type", "HTTP/1.1", without(h1, "content-type"), "http.headers.content-type", "first; this request has none"},
		{"content-type not first", "HTTP/1.1", with(h1, 0, "x-a: 1"), "http.headers", "content-type first and content-length last (content-type, the hook's httpHeaders, authorization, accept, host, content-length); this request has x-a, content-type, accept, host, content-length"},
		{"content-length not last", "HTTP/2.0", with(h2, 3, "x-a: 1"), "http.headers", "(content-type, the hook's httpHeaders, authorization, accept, content-length); this request has content-type, accept, content-length, x-a"},
		{"no content-length", "HTTP/1.1", without(h1, "content-length"), "http.headers.content-length", "last; this request has none"},
		{"content-length not a number", "HTTP/1.1", replace(h1, 3, "content-length: 9 "), "http.headers.content-length", `the body's size in bytes; this request has "9 "`},
		{"no accept", "HTTP/1.1", without(h1, "accept"), "http.headers.accept", "accept: */* (reqwest's default)"},
		{"no host over HTTP/1.1", "HTTP/1.1", without(h1, "host"), "http.headers.host", "host over HTTP/1.1 (hyper adds it); this request has none"},
		{"connection over HTTP/2", "HTTP/2.0", with(h2, 2, "connection: keep-alive"), "http.headers.connection", "no connection-specific field over HTTP/2"},
		{"te gzip over HTTP/2", "HTTP/2.0", with(h2, 2, "te: gzip"), "http.headers.te", "connection-specific"},
		{"chunked", "HTTP/1.1", with(h1, 3, "transfer-encoding: chunked"), "http.headers.transfer-encoding", "without content-length (hyper removes it); else with a content-length, never chunked; this request has both"},
		{"transfer-encoding without chunked", "HTTP/1.1", replace(h1, 3, "transfer-encoding: gzip"), "http.headers.transfer-encoding", `with "chunked" last (hyper adds it); this request has "gzip"`},
		{"transfer-encoding over HTTP/2", "HTTP/2.0", replace(h2, 2, "transfer-encoding: chunked"), "http.headers.transfer-encoding", "no connection-specific field over HTTP/2 (hyper removes them, the hook's httpHeaders' too)"},
		{"no content-length over HTTP/2", "HTTP/2.0", without(h2, "content-length"), "http.headers.content-length", "this request has none"},
		{"a custom field before content-type", "HTTP/1.1", with(h1, 0, "user-agent: x"), "http.headers", "this request has user-agent, content-type, accept"},
		{"repeated", "HTTP/1.1", with(h1, 1, "x-a: 1", "x-a: 2"), "http.headers.x-a", `once (its header map holds one value per name); this request has "x-a" 2 times`},
		{"HTTP/1.0", "HTTP/1.0", fieldList(h1...), "http.version", `this request came over "HTTP/1.0"`},
	} {
		lints := CheckRequestHeaders(tc.proto, tc.fields)
		at := findingAt(lints, tc.path)
		if len(at) != 1 || at[0].Code != LintDrift || !strings.Contains(at[0].Message, tc.words) {
			t.Errorf("%s: want one finding at %s with %q, got %v", tc.name, tc.path, tc.words, lints)
		}
	}
}
