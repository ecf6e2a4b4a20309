package hookconf

import (
	"bytes"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hooksim/hooksim/simulator/wire"
)

// Redacted is the hook in Stalwart's MtaHook JSON shape (stages as an
// object, timeout in milliseconds) with every secret replaced by "****":
// the auth secret, Authorization-like headers, any header value holding
// the secret, and a password in the URL (as "xxxxx"). It is what reports and the store
// may keep.
func (h *Hook) Redacted() map[string]any {
	const mask = "****"
	stages := map[string]any{}
	for _, s := range wire.AllStages {
		if h.Stages[s] {
			stages[string(s)] = true
		}
	}
	headers := map[string]any{}
	for _, hf := range h.HTTPHeaders {
		v := hf.Value
		if SensitiveHeader(hf.Name) || containsSecret(v, h.Secrets()) {
			v = mask
		}
		headers[hf.Name] = v
	}
	auth := map[string]any{"@type": string(h.Auth.Kind)}
	switch h.Auth.Kind {
	case AuthBasic:
		auth["username"] = h.Auth.Username
		auth["secret"] = mask
	case AuthBearer:
		auth["bearerToken"] = mask
	case "":
		auth["@type"] = string(AuthNone)
	}
	enable := "true"
	if h.Enable != nil {
		enable = h.Enable.String()
	}
	return map[string]any{
		"id":                h.ID,
		"url":               RedactURL(h.URL),
		"enable":            enable,
		"stages":            stages,
		"allowInvalidCerts": h.AllowInvalidCerts,
		"httpHeaders":       headers,
		"timeout":           h.Timeout.Milliseconds(),
		"tempFailOnError":   h.TempFailOnError,
		"maxResponseSize":   h.MaxResponseSize,
		"httpAuth":          auth,
		"source":            h.Source,
	}
}

// minSecretLen is the shortest bare secret Secrets lists (a password, a
// token, a credential header's value): a shorter one ("p", "1", "yes")
// would hide every occurrence of it anywhere, "application/json" stored
// as "a****lication/json". The Authorization header is still hidden
// whole (SensitiveHeader), the URL's password too (RedactURL), and the
// base64 user:password is listed whatever its length.
const minSecretLen = 4

// MinSecretLen is the shortest secret hidden wherever it occurs; a
// shorter one is hidden only in its own field.
const MinSecretLen = minSecretLen

// Secrets are the credentials the hook is configured with, to hide
// wherever they show (headers, heads, error texts, the configuration as
// stored): its auth secret (Basic password or Bearer token), the password
// in its URL, for both kinds of Basic credentials the base64 user:password
// the Authorization header carries, and the values of its credential
// headers (SensitiveHeader); bare secrets of at least minSecretLen bytes; longest first,
// so that a secret holding another is hidden whole. Empty for a nil hook.
func (h *Hook) Secrets() []string {
	if h == nil {
		return nil
	}
	var out []string
	if h.Auth.Secret != "" {
		if len(h.Auth.Secret) >= minSecretLen {
			out = append(out, h.Auth.Secret)
		}
		if h.Auth.Kind == AuthBasic {
			// What goes on the wire, and what a hook echoing it shows.
			out = append(out, basicCredentials(h.Auth.Username, h.Auth.Secret))
		}
	}
	if !strings.Contains(h.URL, "@") {
		// No userinfo: no password (and no URL to parse on every call).
	} else if u, err := url.Parse(h.URL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			if len(p) >= minSecretLen {
				out = append(out, p)
			}
			out = append(out, basicCredentials(u.User.Username(), p))
		}
	}
	for _, f := range h.HTTPHeaders {
		if SensitiveHeader(f.Name) && len(f.Value) >= minSecretLen {
			out = append(out, f.Value)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(out)
}

// SensitiveHeader reports header names whose values are credentials
// (Authorization, Cookie, X-Api-Key, anything naming a secret, token,
// password, key, auth, signature, credential or session): their values
// are never shown or stored.
func SensitiveHeader(name string) bool {
	// Lowered on the stack: this runs for every header of every exchange.
	var buf [64]byte
	if len(name) > len(buf) {
		return sensitiveLower(strings.ToLower(name))
	}
	b := buf[:len(name)]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= utf8.RuneSelf {
			return sensitiveLower(strings.ToLower(name))
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	switch string(b) {
	case "authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "x-auth-token":
		return true
	}
	for _, part := range sensitiveParts() {
		if bytes.Contains(b, []byte(part)) {
			return true
		}
	}
	return false
}

// containsSecret reports whether s holds one of secrets.
func containsSecret(s string, secrets []string) bool {
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			return true
		}
	}
	return false
}

// sensitiveParts are the words that make a header name a credential's.
func sensitiveParts() [10]string {
	return [...]string{"secret", "token", "password", "passwd", "key", "auth", "signature", "credential", "session", "cookie"}
}

// sensitiveLower is SensitiveHeader for a name already lowered.
func sensitiveLower(n string) bool {
	switch n {
	case "authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "x-auth-token":
		return true
	}
	for _, part := range sensitiveParts() {
		if strings.Contains(n, part) {
			return true
		}
	}
	return false
}

// RedactURL hides a password in a hook URL ("xxxxx"), as url.URL.Redacted
// does, and the value of every query parameter whose name says it holds a
// credential ("?token=****", SensitiveHeader's rule); an unparsable URL
// loses everything between "://" and the last "@".
func RedactURL(raw string) string {
	if !strings.ContainsAny(raw, "@?") {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		if i, j := strings.Index(raw, "://"), strings.LastIndexByte(raw, '@'); i >= 0 && j > i {
			return raw[:i+3] + "xxxxx" + raw[j:]
		}
		return raw
	}
	q, hidden := redactQuery(u.RawQuery)
	pass := false
	if u.User != nil {
		_, pass = u.User.Password()
	}
	switch {
	case pass:
		u.RawQuery = q
		return u.Redacted()
	case hidden:
		u.RawQuery = q
		return u.String()
	}
	return raw
}

// redactQuery hides the values of the parameters of a raw query whose
// names say they hold a credential (token, key, secret, password, auth,
// signature, credential, session: SensitiveHeader's rule), keeping the
// rest as written. hidden reports a value hidden.
func redactQuery(q string) (out string, hidden bool) {
	if q == "" {
		return q, false
	}
	parts := strings.Split(q, "&")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok || v == "" || v == "****" {
			continue
		}
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if SensitiveHeader(name) {
			parts[i] = k + "=****"
			hidden = true
		}
	}
	if !hidden {
		return q, false
	}
	return strings.Join(parts, "&"), true
}

// HiddenCredentials reports a URL whose credentials were hidden when it
// was recorded or shown: a password "xxxxx" (RedactURL) or a query value
// "****". Sending to it would send the markers, not the credentials.
func HiddenCredentials(raw string) bool {
	if QueryHidden(raw) {
		return true
	}
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return false
	}
	p, ok := u.User.Password()
	return ok && p == "xxxxx"
}

// QueryHidden reports whether a recorded URL had a credential in its
// query, hidden ("=****") when it was recorded.
func QueryHidden(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	for _, p := range strings.Split(u.RawQuery, "&") {
		if _, v, ok := strings.Cut(p, "="); ok && v == "****" {
			return true
		}
	}
	return false
}

// basicCredentials is the base64 of user:password, as the Authorization
// header of Basic authentication carries it (RFC 7617).
func basicCredentials(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}
