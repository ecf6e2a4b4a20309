package recorder

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

// TestSecretsNeverStored records a run whose hooks carry Basic and Bearer
// secrets (and a credential header and a URL password), then greps the
// database files' bytes for every secret in clear and in base64.
func TestSecretsNeverStored(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, path := openStore(t)
	srv := hookServer(t)
	const (
		basicUser   = "alice"
		basicSecret = "Basic-Secret-7f3a9q"
		bearer      = "Bearer-Token-c81d2e"
		apiKey      = "Header-Secret-55aa1"
		urlPass     = "Url-Pass-9b9b3"
	)
	hostport := strings.TrimPrefix(srv.URL, "http://")
	hooks := []*hookconf.Hook{
		flagHook(t, hookconf.FlagSpec{URL: srv.URL + "/basic", Basic: basicUser + ":" + basicSecret}),
		// The credentials are copied into other headers too: they must be
		// hidden there as well.
		flagHook(t, hookconf.FlagSpec{URL: srv.URL + "/bearer", Bearer: bearer,
			Headers: []string{"X-Api-Key: " + apiKey, "X-Copy: k=" + apiKey, "X-Copy-Bearer: v=" + bearer}}),
		flagHook(t, hookconf.FlagSpec{URL: "http://u:" + urlPass + "@" + hostport + "/url", Stages: []string{"connect"},
			Headers: []string{"X-Copy-Pass: " + urlPass}}),
	}
	for i, h := range hooks {
		h.ID = []string{"basic", "bearer", "urlpass"}[i]
	}
	rec := New(st, Options{})
	sim := newSim(t, rec, hooks...)
	res, play := recordPlay(ctx, sim, rec, hello(t), simulator.Origin{})
	if res.Exchanges != 11 {
		t.Fatalf("played %d exchanges, want 11", res.Exchanges)
	}
	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	secrets := []string{basicSecret, bearer, apiKey, urlPass,
		base64.StdEncoding.EncodeToString([]byte(basicUser + ":" + basicSecret)),
		base64.StdEncoding.EncodeToString([]byte("u:" + urlPass)),
	}
	grep := func(when string) {
		t.Helper()
		found := 0
		for _, f := range []string{path, path + "-wal", path + "-shm"} {
			b, err := os.ReadFile(f)
			if os.IsNotExist(err) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			found++
			for _, s := range secrets {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s: %s holds the secret %q", when, f, s)
				}
			}
		}
		if found == 0 {
			t.Fatalf("%s: no database file to grep", when)
		}
	}
	grep("while open")
	// The redaction must have happened, not the headers gone missing.
	id := play.RunID()
	if id == 0 {
		t.Fatal("no run")
	}
	exs, err := st.Exchanges(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range exs {
		for _, h := range e.RequestHeaders {
			seen[strings.ToLower(h.Name)+": "+h.Value] = true
		}
		if strings.Contains(e.URL, "@") && !strings.Contains(e.URL, "xxxxx") {
			t.Errorf("URL %q keeps its credentials", e.URL)
		}
	}
	for _, want := range []string{"authorization: Basic ****", "authorization: Bearer ****", "x-api-key: ****"} {
		if !seen[want] {
			t.Errorf("no stored request header %q (have %v)", want, seen)
		}
	}
	run, err := st.GetRun(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(run.Hooks, []byte(`"secret":"****"`)) || !bytes.Contains(run.Hooks, []byte(`"bearerToken":"****"`)) {
		t.Errorf("hook configuration not redacted as expected: %s", run.Hooks)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	grep("after close")
}

// TestResponseSecretsNeverStored: a hook's answer may carry credentials
// too (a Set-Cookie, the request's Authorization echoed back); its
// headers and head are stored with them hidden, by the same rules as the
// request's, while the body stays byte for byte.
func TestResponseSecretsNeverStored(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, path := openStore(t)
	const (
		bearer = "Echoed-Token-3c3c"
		cookie = "Cookie-Secret-8e8e"
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "session="+cookie)
		w.Header().Set("X-Echo", r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"action":"accept"}`))
	}))
	t.Cleanup(srv.Close)
	rec := New(st, Options{})
	sim := newSim(t, rec, flagHook(t, hookconf.FlagSpec{URL: srv.URL, Bearer: bearer, Stages: []string{"all"}}))
	res, play := recordPlay(ctx, sim, rec, hello(t), simulator.Origin{})
	if res.Exchanges == 0 {
		t.Fatal("no exchange played")
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	exs, err := st.Exchanges(ctx, play.RunID())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range exs {
		var cookieShown, echoShown bool
		for _, h := range e.ResponseHeaders {
			cookieShown = cookieShown || (strings.EqualFold(h.Name, "Set-Cookie") && h.Value == "****")
			echoShown = echoShown || (strings.EqualFold(h.Name, "X-Echo") && h.Value == "Bearer ****")
		}
		if !cookieShown || !echoShown {
			t.Errorf("exchange %d: response headers %v, want Set-Cookie and X-Echo kept with their values hidden", e.Seq, e.ResponseHeaders)
		}
		if e.Wire == nil || !bytes.Contains(e.Wire.ResponseHead, []byte("HTTP/1.1 200 OK")) || !bytes.Contains(e.Wire.ResponseHead, []byte("Set-Cookie: ****")) {
			t.Errorf("exchange %d: response head %q", e.Seq, e.Wire.ResponseHead)
		}
		if string(e.ResponseBody) != `{"action":"accept"}` {
			t.Errorf("exchange %d: response body %q changed", e.Seq, e.ResponseBody)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{bearer, cookie} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds the secret %q", f, s)
			}
		}
	}
}

// TestUnmarkedExchangeRedacted: an exchange that did not come through
// simulator.CallHook (Redacted unset: a live source, a hand-made one) is
// redacted by the recorder itself, in its headers and heads.
func TestUnmarkedExchangeRedacted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, _ := openStore(t)
	const secret = "Unmarked-Secret-3c3c"
	h := flagHook(t, hookconf.FlagSpec{URL: "http://127.0.0.1:9/h", Bearer: secret})
	h.ID = "h"
	rec := New(st, Options{})
	play := rec.BeginPlay(ctx, &simulator.SessionInfo{Name: "unmarked", Started: time.Now(), Hooks: []*hookconf.Hook{h}})
	ex := &simulator.Exchange{Seq: 1, Stage: "connect", HookID: "h", URL: h.URL, Started: time.Now(), Request: []byte("{}"),
		RequestHdrs: []hookconf.HeaderField{{Name: "Authorization", Value: "Bearer " + secret}, {Name: "X-Echo", Value: "k=" + secret}},
		Call: hookclient.CallResult{Status: 200, Body: []byte(`{"action":"accept"}`),
			ResponseHeaders: []hookconf.HeaderField{{Name: "Set-Cookie", Value: "s=" + secret}},
			RequestHead:     []byte("POST /h HTTP/1.1\r\nauthorization: Bearer " + secret + "\r\n\r\n"),
			ResponseHead:    []byte("HTTP/1.1 200 OK\r\nx-echo: " + secret + "\r\n\r\n")},
		Err:     &hookclient.HookError{Class: hookclient.ErrProtocol, Message: `malformed header line "Echo Bearer ` + secret + `"`},
		Outcome: "error"}
	play.Step(&simulator.StepResult{Kind: "connect", Replies: []string{"220 ok"}, Exchanges: []*simulator.Exchange{ex}, Action: "accept"})
	play.Finish(&simulator.SessionResult{Name: "unmarked", Exchanges: 1, Started: time.Now()})
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	stored, err := st.Exchange(ctx, play.RunID(), 1)
	if err != nil {
		t.Fatal(err)
	}
	all := fmt.Sprint(stored.RequestHeaders, stored.ResponseHeaders, string(stored.Wire.RequestHead), string(stored.Wire.ResponseHead),
		stored.ErrorText)
	if strings.Contains(all, secret) {
		t.Errorf("the recorder stored the secret of an unmarked exchange: %s", all)
	}
	if !strings.Contains(all, "Bearer ****") || !strings.Contains(all, "k=****") {
		t.Errorf("stored %s, want the values redacted in place", all)
	}
	// The rows share the simulator's header lists: redacting copies them.
	if ex.RequestHdrs[0].Value != "Bearer "+secret || ex.Call.ResponseHeaders[0].Value != "s="+secret {
		t.Errorf("the recorder changed the reported headers: %v %v", ex.RequestHdrs, ex.Call.ResponseHeaders)
	}
}

// TestAnswerLeaksHidden: what a hook's answer quotes back is hidden too,
// in the headers, the heads and the error texts stored: the Basic
// credentials echoed in base64 (the --basic password and the URL's), a
// malformed header line quoting the Authorization value (the error text
// quotes the line), and a password in a Location that cannot be followed.
func TestAnswerLeaksHidden(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, path := openStore(t)
	const (
		basicPass = "Basic-Pass-6d6d"
		urlPass   = "Url-Pass-4e4e"
		bearer    = "Malformed-Token-2f2f"
		ftpPass   = "Ftp-Pass-1a1a"
	)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				auth := req.Header.Get("Authorization")
				switch req.URL.Path {
				case "/echo":
					fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nX-Echo: %s\r\nContent-Type: application/json\r\nContent-Length: 19\r\n\r\n{\"action\":\"accept\"}", auth)
				case "/malformed":
					fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nEcho %s\r\nContent-Length: 0\r\n\r\n", auth)
				case "/redirect":
					fmt.Fprintf(c, "HTTP/1.1 302 Found\r\nLocation: ftp://bob:%s@127.0.0.1/x\r\nContent-Length: 0\r\n\r\n", ftpPass)
				}
			}(c)
		}
	}()
	base := "http://" + ln.Addr().String()
	hooks := []*hookconf.Hook{
		flagHook(t, hookconf.FlagSpec{URL: base + "/echo", Basic: "alice:" + basicPass, Stages: []string{"connect"}}),
		flagHook(t, hookconf.FlagSpec{URL: "http://bob:" + urlPass + "@" + ln.Addr().String() + "/echo", Stages: []string{"connect"}}),
		flagHook(t, hookconf.FlagSpec{URL: base + "/malformed", Bearer: bearer, Stages: []string{"connect"}, NoTempFail: true}),
		flagHook(t, hookconf.FlagSpec{URL: base + "/redirect", Stages: []string{"connect"}, NoTempFail: true}),
	}
	for i, h := range hooks {
		h.ID = fmt.Sprintf("h%d", i)
	}
	rec := New(st, Options{})
	sim := newSim(t, rec, hooks...)
	res, play := recordPlay(ctx, sim, rec, hello(t), simulator.Origin{})
	if res.Exchanges != 4 {
		t.Fatalf("played %d exchanges, want 4", res.Exchanges)
	}
	secrets := []string{basicPass, urlPass, bearer, ftpPass,
		base64.StdEncoding.EncodeToString([]byte("alice:" + basicPass)), base64.StdEncoding.EncodeToString([]byte("bob:" + urlPass))}
	// The play's own report (what the transcript and --json print).
	for _, st := range res.Steps {
		for _, ex := range st.Exchanges {
			shown := fmt.Sprint(ex.Call.ResponseHeaders, string(ex.Call.ResponseHead))
			if ex.Err != nil {
				shown += ex.Err.Message
			}
			for _, s := range secrets {
				if strings.Contains(shown, s) {
					t.Errorf("exchange with %s shows %q: %s", ex.HookID, s, shown)
				}
			}
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	exs, err := st.Exchanges(ctx, play.RunID())
	if err != nil {
		t.Fatal(err)
	}
	var errs []string
	for _, e := range exs {
		errs = append(errs, e.ErrorText)
	}
	all := strings.Join(errs, "\n")
	if !strings.Contains(all, `malformed header line "Echo Bearer ****"`) || !strings.Contains(all, `"ftp://bob:xxxxx@127.0.0.1/x"`) {
		t.Errorf("error texts %q: want the malformed line and the Location with their secrets hidden", errs)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds %q", f, s)
			}
		}
	}
}
