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
		{"charset", "HTTP/1.1", replace(h1, 0, "content-type: application/json; charset=utf-8"), "http.headers.content-type", `application/json (no charset) unless the hook's httpHeaders set another; this request has "application/json; charset=utf-8"`},
		{"no content-type", "HTTP/1.1", without(h1, "content-type"), "http.headers.content-type", "first; this request has none"},
		{"content-type not first", "HTTP/1.1", with(h1, 0, "x-a: 1"), "http.headers", "content-type first and content-length last (content-type, the hook's httpHeaders, authorization, accept, host, content-length); this request has x-a, content-type, accept, host, content-length"},
		{"content-length not last", "HTTP/2.0", with(h2, 3, "x-a: 1"), "http.headers", "(content-type, the hook's httpHeaders, authorization, accept, content-length); this request has content-type, accept, content-length, x-a"},
		{"no content-length", "HTTP/1.1", without(h1, "content-length"), "http.headers.content-length", "last; this request has none"},
		{"content-length not a number", "HTTP/1.1", replace(h1, 3, "content-length: 9 "), "http.headers.content-length", `the body's size in bytes; this request has "9 "`},
		{"no accept", "HTTP/1.1", without(h1, "accept"), "http.headers.accept", "accept: */* (reqwest's default)"},
		{"no host over HTTP/1.1", "HTTP/1.1", without(h1, "host"), "http.headers.host", "host over HTTP/1.1 (hyper adds it); this request has none"},
		{"host over HTTP/2", "HTTP/2.0", with(h2, 2, "host: h.example"), "http.headers.host", `no host field over HTTP/2 (the authority goes in :authority); this request has "h.example"`},
		{"connection over HTTP/2", "HTTP/2.0", with(h2, 2, "connection: keep-alive"), "http.headers.connection", "no connection-specific field over HTTP/2"},
		{"te gzip over HTTP/2", "HTTP/2.0", with(h2, 2, "te: gzip"), "http.headers.te", "connection-specific"},
		{"user-agent", "HTTP/1.1", with(h1, 3, "user-agent: curl/8"), "http.headers.user-agent", `no user-agent (its hook client sets none) unless the hook's httpHeaders name one; this request has "curl/8"`},
		{"accept-encoding", "HTTP/1.1", with(h1, 3, "accept-encoding: gzip"), "http.headers.accept-encoding", "without compression"},
		{"chunked", "HTTP/1.1", with(h1, 3, "transfer-encoding: chunked"), "http.headers.transfer-encoding", "never chunked"},
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
