package hookconf

import (
	"fmt"
	"strings"
)

// checkHeaderName reports whether name is an HTTP token, which is what
// Stalwart's header builder (the http crate's HeaderName) accepts after
// trimming. A hook with a bad name is not loaded.
func checkHeaderName(name string) error {
	if name == "" {
		return fmt.Errorf("empty header name")
	}
	for i := 0; i < len(name); i++ {
		if !isTokenChar(name[i]) {
			return fmt.Errorf("invalid header name %q: %q is not allowed in an HTTP header name", name, rune(name[i]))
		}
	}
	return nil
}

// ValidHeaderName reports whether s is an RFC 9110 token, the rule the
// http crate's HeaderName (and so Stalwart's HTTP client) applies.
func ValidHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// ValidHeaderValue applies the http crate's HeaderValue::from_str: tab or
// any byte from 0x20 up, except DEL.
func ValidHeaderValue(s string) bool { return checkHeaderValue(s) == nil }

func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// checkHeaderValue mirrors the http crate's HeaderValue::from_str: visible
// ASCII, space, tab and bytes >= 0x80; no other control characters.
func checkHeaderValue(value string) error {
	for i := 0; i < len(value); i++ {
		c := value[i]
		if (c < 0x20 && c != '\t') || c == 0x7f {
			// The value is not repeated: it may be a credential.
			return fmt.Errorf("invalid header value: control character %q at byte %d", rune(c), i+1)
		}
	}
	return nil
}

// trimSpace trims like Rust's str::trim (Unicode White_Space), which is
// what Stalwart applies to header names, values and URLs.
func trimSpace(s string) string { return strings.TrimSpace(s) }

// reservedHeaderWarning says what happens to a custom header whose name
// Stalwart also sets, or "" if nothing special happens.
func reservedHeaderWarning(name string, hasAuth bool) string {
	switch strings.ToLower(name) {
	case "authorization":
		if hasAuth {
			return "Stalwart replaces this header with the one built from httpAuth"
		}
	case "content-type":
		return "replaces Stalwart's Content-Type: application/json"
	case "content-length", "host":
		return "set by the HTTP client itself; a custom value may be ignored or break the request"
	}
	return ""
}
