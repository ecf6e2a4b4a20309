package hookconf

import (
	"bytes"
	"net/url"
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
		if SensitiveHeader(hf.Name) || (h.Auth.Secret != "" && strings.Contains(v, h.Auth.Secret)) {
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
// does; an unparsable URL loses everything between "://" and the last "@".
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i, j := strings.Index(raw, "://"), strings.LastIndexByte(raw, '@'); i >= 0 && j > i {
			return raw[:i+3] + "xxxxx" + raw[j:]
		}
		return raw
	}
	if u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); !has {
		return raw
	}
	return u.Redacted()
}
