package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/hooksim/hooksim/simulator/hookconf"
)

// Request body limits.
const (
	maxJSONBody   = 1 << 20 // JSON requests
	maxScriptBody = 4 << 20 // requests carrying a session script
)

// tokenCookie is the cookie a browser keeps the access token in.
const tokenCookie = "hooksim_token"

// newToken returns a random access token.
func newToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("web: make access token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// loopbackHost reports whether host (no port) names this machine's
// loopback interface.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// secure wraps h with the checks every request passes: the Host header
// (a loopback server answers only to loopback names, which defeats DNS
// rebinding), the access token of a public server, the same-origin rule
// for every state-changing request, and headers that keep pages from
// being framed or sniffed.
func (s *Server) secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Referrer-Policy", "no-referrer")
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-src 'self' blob: data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		if !s.cfg.Public {
			host, _, err := net.SplitHostPort(r.Host)
			if err != nil {
				host = r.Host
			}
			if !loopbackHost(host) {
				writeError(w, http.StatusForbidden, "this server answers only to a loopback host name (127.0.0.1, localhost, ::1)")
				return
			}
		}
		if s.token != "" && !s.authorized(w, r) {
			writeError(w, http.StatusUnauthorized, "an access token is required: open the URL hooksim printed (it carries ?token=...)")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions {
			// An API client that sends the token itself (Authorization:
			// Bearer) and no Origin is no browser page: a page cannot set
			// that header on another origin without a CORS preflight this
			// server never grants. A browser's request is same-origin.
			if !sameOrigin(r) && !(s.bearerOK(r) && r.Header.Get("Origin") == "") {
				writeError(w, http.StatusForbidden, "cross-origin request refused: state-changing requests must come from this server's own pages")
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// authorized checks the access token of a request: the Authorization
// header, the cookie, or ?token= (which also sets the cookie).
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && s.tokenOK(v) {
		return true
	}
	if c, err := r.Cookie(tokenCookie); err == nil && s.tokenOK(c.Value) {
		return true
	}
	if v := r.URL.Query().Get("token"); v != "" && s.tokenOK(v) {
		http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: s.token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
		return true
	}
	return false
}

// bearerOK reports a request carrying the access token as Authorization:
// Bearer (false on a server without a token).
func (s *Server) bearerOK(r *http.Request) bool {
	v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && s.token != "" && s.tokenOK(v)
}

func (s *Server) tokenOK(v string) bool {
	return subtle.ConstantTimeCompare([]byte(v), []byte(s.token)) == 1
}

// sameOrigin reports whether a browser says the request comes from this
// server's own pages: an Origin equal to http://Host, or, without Origin,
// Sec-Fetch-Site: same-origin. A request with neither is refused.
func sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		return originMatches(o, r.Host)
	}
	return r.Header.Get("Sec-Fetch-Site") == "same-origin"
}

// originMatches compares an Origin header with the request's Host.
func originMatches(origin, host string) bool {
	return strings.EqualFold(origin, "http://"+host) || strings.EqualFold(origin, "https://"+host)
}

// checkWSOrigin is the websocket's Origin check: browsers always send
// Origin on a websocket, and it must be this server; a client that is not
// a browser (no Origin) cannot be abused by a web page, and is let in.
func checkWSOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	return o == "" || originMatches(o, r.Host)
}

// allowedTarget is a public server's check of the hook URLs its requests
// call (hookclient.Client.CheckTarget): a prefix of one of allow, or any
// with "*".
func allowedTarget(allow []string) func(string) error {
	return func(u string) error {
		for _, a := range allow {
			if a == "*" || strings.HasPrefix(u, a) {
				return nil
			}
		}
		if len(allow) == 0 {
			return fmt.Errorf("%s: a public web view calls no hook unless hooksim serve names it with --allow-target", hookconf.RedactURL(u))
		}
		return fmt.Errorf("%s is not among the hooks this public web view may call (--allow-target %s)", hookconf.RedactURL(u), strings.Join(allow, ", "))
	}
}
