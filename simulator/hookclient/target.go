package hookclient

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// target is one URL to send a request to, split the way the client needs
// it. Credentials are removed from u (reqwest moves them into an
// Authorization header).
type target struct {
	u          *url.URL
	tls        bool
	hostname   string // without brackets, for dialing and SNI
	addr       string // host:port to dial
	hostHeader string // what hyper-util puts in Host
	requestURI string // origin-form request target
}

// parseTarget parses an absolute http or https URL. user and pass are the
// percent-decoded credentials when the URL carries any.
func parseTarget(raw string) (t *target, user, pass *string, err error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("invalid URL %q: %w", raw, err)
	}
	return targetFromURL(u)
}

func targetFromURL(src *url.URL) (t *target, user, pass *string, err error) {
	u := *src
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, nil, nil, fmt.Errorf("URL scheme %q is not allowed (http or https)", u.Scheme)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return nil, nil, nil, fmt.Errorf("URL %q has no host", src.Redacted())
	}
	if u.User != nil {
		name := u.User.Username()
		p, hasPass := u.User.Password()
		if name != "" || hasPass {
			user = &name
			if hasPass {
				pass = &p
			}
		}
		u.User = nil
	}
	u.Fragment, u.RawFragment = "", ""
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	defPort := "80"
	if u.Scheme == "https" {
		defPort = "443"
	}
	if port == defPort {
		port = "" // the url crate drops a default port
	}
	hostForHeader := host
	if strings.Contains(host, ":") {
		hostForHeader = "[" + host + "]"
	}
	u.Host = hostForHeader
	if port != "" {
		u.Host += ":" + port
	}
	if u.Path == "" && u.RawPath == "" {
		u.Path = "/"
	}
	u.RawQuery = queryEncode(u.RawQuery)
	dialPort := port
	if dialPort == "" {
		dialPort = defPort
	}
	t = &target{
		u:          &u,
		tls:        u.Scheme == "https",
		hostname:   host,
		addr:       net.JoinHostPort(host, dialPort),
		hostHeader: u.Host,
		requestURI: u.RequestURI(),
	}
	return t, user, pass, nil
}

// sameOrigin reports whether a and b share scheme, host and port, the test
// reqwest applies before keeping credentials on a redirect.
func sameOrigin(a, b *target) bool {
	return a.u.Scheme == b.u.Scheme && a.addr == b.addr
}

// referer is the Referer reqwest sets on a redirected request: the previous
// URL without credentials or fragment; none from https to http.
func referer(prev, next *target) (string, bool) {
	if prev.tls && !next.tls {
		return "", false
	}
	return prev.u.String(), true
}

// poolKey groups connections that can be reused for one another.
func (t *target) poolKey(insecure bool) string {
	k := t.u.Scheme + "://" + t.addr
	if insecure {
		k += "#insecure"
	}
	return k
}

// queryEncode percent-encodes a query the way the url crate (WHATWG URL)
// does for http(s): C0 controls, space, '"', '#', '<', '>', '\” and bytes
// from 0x7F up; "%" and everything else stay as written.
func queryEncode(q string) string {
	const hex = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c > 0x20 && c < 0x7f && c != '"' && c != '#' && c != '<' && c != '>' && c != '\'' {
			if b != nil {
				b = append(b, c)
			}
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, len(q)+8), q[:i]...)
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	if b == nil {
		return q
	}
	return string(b)
}
