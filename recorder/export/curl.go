package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/store"
)

// Environment variables the curl script reads credentials from: they were
// never recorded.
const (
	// EnvBasic holds Basic credentials as "user:password", like --basic;
	// curl builds the header from it (-u).
	EnvBasic = "HOOKSIM_BASIC"
	// EnvBearer holds a bearer token, like --bearer.
	EnvBearer = "HOOKSIM_BEARER"
	// EnvAuthorization holds a whole Authorization value for any other
	// scheme (a custom "Authorization: Token ..." header).
	EnvAuthorization = "HOOKSIM_AUTHORIZATION"
)

// inlineBodyLimit is the largest body written as a single-quoted curl
// argument: Linux refuses a single argument over 128 KiB, so larger
// bodies are piped from the shell's built-in printf instead.
const inlineBodyLimit = 64 << 10

// Curl writes a run's hook calls as a POSIX shell script of curl
// commands, one per exchange in order, each sending the recorded body byte
// for byte with the recorded headers (Host and Content-Length are left to
// curl; its User-Agent and Expect are turned off). Every curl has -sS and
// --fail-with-body, and the script runs under set -e, so it stops at the
// first transport or HTTP error, printing the hook's answer. Credentials
// were never recorded: Basic ones come from $HOOKSIM_BASIC ("user:password",
// passed with -u), bearer tokens from $HOOKSIM_BEARER, any other
// Authorization value from $HOOKSIM_AUTHORIZATION, each with a ${VAR:?...}
// message when unset.
//
// Every recorded value stays on its line and means nothing to the shell:
// comments carry hook ids, stages, outcomes and URLs through OneLine; URLs
// and headers are single-quoted words; a body is one too when it is
// printable UTF-8 (see inlineBody), else (a NUL byte, which no shell
// argument can carry, a line break, invalid UTF-8, a leading "@", which
// curl would read as a file name, or over 64 KiB) it is piped from printf
// with octal escapes into --data-binary @-. An exchange whose URL is not
// an absolute http(s) URL, a header whose name is not an HTTP token and a
// header value with a control character are left out, with a comment
// saying so. So every line of the script is a comment, "set -e", the start
// of a curl or printf command, or an indented continuation.
// A hook recorded with allowInvalidCerts gets --insecure; its timeout
// becomes --max-time; redirects are followed (--location) only where the
// hook redirected when recorded.
//
// Like Raw, it reads the exchange rows (Loaded.ExchangeRows): the bytes
// and headers as recorded, and the redirects, which the vocabulary does
// not carry.
func Curl(l *recorder.Loaded) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "#!/bin/sh\n# Hook calls of run #%d (%s), exported by hooksim.\n", l.Run.ID, OneLine(l.Run.SessionName))
	b.WriteString("# Each curl fails on an HTTP error and prints the hook's answer (--fail-with-body); the script stops there.\n")
	fmt.Fprintf(&b, "# Credentials were never recorded: set %s=user:password or %s=token where a hook needs them.\n", EnvBasic, EnvBearer)
	b.WriteString("set -e\n")
	hooks := recordedHooks(l.Run.Hooks)
	for i := range l.ExchangeRows {
		ex := &l.ExchangeRows[i]
		writeCurl(&b, ex, hooks[ex.HookID])
	}
	return b.Bytes()
}

// hookSettings are the recorded settings of a hook the script uses.
type hookSettings struct {
	AllowInvalidCerts bool  `json:"allowInvalidCerts"`
	Timeout           int64 `json:"timeout"` // milliseconds
}

// recordedHooks reads the run's hook list (hookconf.Hook.Redacted, as a
// JSON array) by hook id; an unreadable list gives none.
func recordedHooks(raw []byte) map[string]hookSettings {
	var list []struct {
		ID string `json:"id"`
		hookSettings
	}
	out := map[string]hookSettings{}
	if json.Unmarshal(raw, &list) != nil {
		return out
	}
	for _, h := range list {
		out[h.ID] = h.hookSettings
	}
	return out
}

func writeCurl(b *bytes.Buffer, ex *store.Exchange, hook hookSettings) {
	answer := OneLine(ex.Outcome)
	if ex.Status != 0 {
		answer = fmt.Sprintf("%d, %s", ex.Status, answer)
	}
	fmt.Fprintf(b, "\n# exchange %d: %s stage, hook %s (answered %s)\n", ex.Seq, OneLine(ex.Stage), OneLine(ex.HookID), answer)
	target, err := curlURL(ex.URL)
	if err != nil {
		fmt.Fprintf(b, "# hooksim: left out: %s\n", OneLine(err.Error()))
		return
	}
	var args []string
	for _, h := range ex.RequestHeaders {
		arg, note := headerArg(hookconf.HeaderField{Name: h.Name, Value: h.Value})
		if note != "" {
			fmt.Fprintf(b, "# hooksim: header %s: %s\n", headerName(h.Name), note)
		}
		if arg != "" {
			args = append(args, arg)
		}
	}
	piped := !inlineBody(ex.RequestBody)
	if piped {
		fmt.Fprintf(b, "printf %s |\n  ", shellQuote(printfFormat(ex.RequestBody)))
	}
	b.WriteString("curl -sS")
	if ex.Wire != nil && len(ex.Wire.Redirects) > 0 {
		// Without -X, curl turns a POST into a GET after 301, 302 and 303
		// as reqwest does, and keeps it after 307 and 308.
		fmt.Fprintf(b, " --location --max-redirs 10 %s", shellQuote(target))
	} else {
		fmt.Fprintf(b, " -X POST %s", shellQuote(target))
	}
	b.WriteString(" \\\n  --fail-with-body --globoff --write-out '\\n'")
	if hook.AllowInvalidCerts {
		b.WriteString(" --insecure")
	}
	if hook.Timeout > 0 {
		fmt.Fprintf(b, " --max-time %s", strconv.FormatFloat(float64(hook.Timeout)/1000, 'f', -1, 64))
	}
	b.WriteString(" \\\n  -H 'User-Agent:' -H 'Expect:'")
	for _, a := range args {
		b.WriteString(" \\\n  ")
		b.WriteString(a)
	}
	if piped {
		b.WriteString(" \\\n  --data-binary @-\n")
		return
	}
	fmt.Fprintf(b, " \\\n  --data-binary %s\n", shellQuote(string(ex.RequestBody)))
}

// curlURL is the recorded URL as curl gets it: an absolute http(s) URL
// without control characters, credentials removed (they come from the
// environment).
func curlURL(raw string) (string, error) {
	for i := 0; i < len(raw); i++ {
		if raw[i] < 0x20 || raw[i] == 0x7f {
			return "", fmt.Errorf("the URL %s holds a control character", OneLine(raw))
		}
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%s is not an absolute http or https URL", OneLine(raw))
	}
	if u.User != nil {
		u.User = nil
		return u.String(), nil
	}
	return raw, nil
}

// headerArg is the curl argument that sends h ("" to leave it out) and a
// comment line to write before the command ("" when none).
func headerArg(h hookconf.HeaderField) (arg, note string) {
	name := strings.ToLower(h.Name)
	switch {
	case !hookconf.ValidHeaderName(h.Name):
		return "", "left out: the name is not an HTTP token"
	case !hookconf.ValidHeaderValue(h.Value):
		return "", "left out: the value holds a line break or another control character"
	case name == "host", name == "content-length":
		return "", "" // curl sets them from the URL and the body
	case name == "authorization":
		scheme, _, _ := strings.Cut(h.Value, " ")
		switch strings.ToLower(scheme) {
		case "basic":
			return fmt.Sprintf(`-u "${%s:?set %s to user:password, the Basic credentials of the hook}"`, EnvBasic, EnvBasic), ""
		case "bearer":
			return fmt.Sprintf(`-H "authorization: Bearer ${%s:?set %s to the bearer token of the hook}"`, EnvBearer, EnvBearer), ""
		}
		return fmt.Sprintf(`-H "authorization: ${%s:?set %s to the whole authorization value}"`, EnvAuthorization, EnvAuthorization), ""
	}
	if hookconf.SensitiveHeader(h.Name) || strings.Contains(h.Value, "****") {
		note = `recorded hidden ("****"): credentials never reach the history database; put the real value in`
	}
	if strings.TrimSpace(h.Value) == "" {
		// "Name:" would make curl remove the header; "Name;" sends it empty.
		return "-H " + shellQuote(h.Name+";"), note
	}
	return "-H " + shellQuote(h.Name+": "+h.Value), note
}

// headerName is a header name for a comment: as it is when it is a
// token, else quoted.
func headerName(s string) string {
	if hookconf.ValidHeaderName(s) {
		return s
	}
	return strconv.Quote(s)
}
