package hookclient

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/hooksim/hooksim/simulator/hookconf"
)

// How Stalwart v0.16.18 builds the request headers, as read in its source
// and in the exact dependency versions of its Cargo.lock (reqwest 0.13.4,
// hyper 1.11.0, hyper-util 0.1.20, tower-http 0.6.11, http 1.x):
//
//   - crates/utils/src/http.rs build_http_headers: a fresh http::HeaderMap
//     gets content-type: application/json first, then every httpHeaders
//     entry in configuration order (name and value trimmed, the name parsed
//     by HeaderName::from_str, which lower-cases it; an invalid name or
//     value makes the hook fail to load), then Authorization: Basic
//     base64(user:secret) or Bearer <token>. HeaderMap.insert replaces an
//     existing entry *in place*, so a custom Content-Type or Authorization
//     keeps its position and only its value changes.
//   - crates/smtp/src/inbound/hooks/client.rs: client.post(url)
//     .timeout(t).headers(map).body(json). reqwest's RequestBuilder::new
//     first turns user:pass@ in the URL into an Authorization: Basic header
//     (request.rs extract_authority), then .headers() merges the map in
//     order (util.rs replace_headers).
//   - reqwest client.rs execute_request: the client's default headers
//     (only accept: */* — ClientBuilder::new; Stalwart's MTAHook client sets
//     no User-Agent and reqwest is built without gzip/brotli, so there is no
//     accept-encoding) are appended when absent.
//   - hyper-util legacy client.rs: host is appended when absent, with the
//     port only when it is not the scheme's default.
//   - hyper proto/h1/role.rs Client::encode/set_length: content-length is
//     appended last when the body is not empty (an empty body gets none),
//     then write_headers writes "name: value\r\n" in map order with the
//     names as stored, i.e. lower case (title case is off by default).
//
// So a plain Basic-auth hook sends, in this order:
// content-type, <custom...>, authorization, accept, host, content-length.
//
// On a redirect (tower-http follow_redirect, reqwest redirect.rs) the
// request starts again from the first request's header map (host and
// content-length are not in it); 301/302 of a POST and any 303 remove
// content-type, content-length, content-encoding and transfer-encoding
// from it for good; then, for this hop only, a change of host, port or
// scheme against the previous URL removes authorization, cookie, cookie2,
// proxy-authorization and www-authenticate, and a referer header (the
// previous URL without credentials or fragment, left out on https to http)
// is set. HeaderMap.remove is a swap-remove: the last entry takes the
// removed one's place, which headerMap.remove reproduces.

// headerMap is an ordered, single-valued header list that behaves like
// http::HeaderMap for the operations reqwest uses: insert replaces in
// place, remove swaps the last entry into the hole. Names are lower case.
type headerMap struct {
	fields []hookconf.HeaderField
}

func (m *headerMap) index(name string) int {
	for i, f := range m.fields {
		if f.Name == name {
			return i
		}
	}
	return -1
}

func (m *headerMap) get(name string) (string, bool) {
	if i := m.index(name); i >= 0 {
		return m.fields[i].Value, true
	}
	return "", false
}

// insert sets name to value, keeping the position of an existing entry.
func (m *headerMap) insert(name, value string) {
	if i := m.index(name); i >= 0 {
		m.fields[i].Value = value
		return
	}
	m.fields = append(m.fields, hookconf.HeaderField{Name: name, Value: value})
}

// insertIfAbsent appends name only when it is not set yet.
func (m *headerMap) insertIfAbsent(name, value string) {
	if m.index(name) < 0 {
		m.fields = append(m.fields, hookconf.HeaderField{Name: name, Value: value})
	}
}

// remove deletes name the way http::HeaderMap does (swap_remove).
func (m *headerMap) remove(name string) {
	i := m.index(name)
	if i < 0 {
		return
	}
	last := len(m.fields) - 1
	m.fields[i] = m.fields[last]
	m.fields = m.fields[:last]
}

func (m *headerMap) clone() *headerMap {
	return &headerMap{fields: append([]hookconf.HeaderField(nil), m.fields...)}
}

// hookHeaders builds the header map Stalwart computes once when it loads
// the hook (build_http_headers).
func hookHeaders(h *hookconf.Hook) (*headerMap, error) {
	m := &headerMap{}
	m.insert("content-type", "application/json")
	for _, f := range h.HTTPHeaders {
		name := strings.TrimSpace(f.Name)
		value := strings.TrimSpace(f.Value)
		if !hookconf.ValidHeaderName(name) {
			return nil, fmt.Errorf("invalid header name %q in httpHeaders: Stalwart would not load this hook", f.Name)
		}
		if !hookconf.ValidHeaderValue(value) {
			return nil, fmt.Errorf("invalid value for header %q in httpHeaders: Stalwart would not load this hook", f.Name)
		}
		m.insert(strings.ToLower(name), value)
	}
	switch h.Auth.Kind {
	case hookconf.AuthBasic:
		m.insert("authorization", basicAuth(h.Auth.Username, h.Auth.Secret))
	case hookconf.AuthBearer:
		v := "Bearer " + h.Auth.Secret
		if !hookconf.ValidHeaderValue(v) {
			// Stalwart unwraps this parse: it would panic while loading.
			return nil, fmt.Errorf("the bearer token contains characters not allowed in an HTTP header: Stalwart cannot load this hook")
		}
		m.insert("authorization", v)
	}
	return m, nil
}

// firstRequestHeaders is the header map of the first request, before host
// and content-length: URL credentials, the hook's headers, then accept.
func firstRequestHeaders(h *hookconf.Hook, urlUser, urlPass *string) (*headerMap, error) {
	hm, err := hookHeaders(h)
	if err != nil {
		return nil, err
	}
	m := &headerMap{}
	if urlUser != nil {
		v := "Basic " + base64.StdEncoding.EncodeToString([]byte(*urlUser+":"+derefOr(urlPass, "")))
		m.insert("authorization", v)
	}
	for _, f := range hm.fields {
		m.insert(f.Name, f.Value)
	}
	m.insertIfAbsent("accept", "*/*")
	return m, nil
}

func derefOr(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}

func basicAuth(user, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+secret))
}
