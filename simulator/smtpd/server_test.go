package smtpd

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
)

// hook is a real loopback hook that accepts everything and keeps the
// requests it got.
type hook struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs [][]byte
}

func newHook(t *testing.T) *hook {
	t.Helper()
	h := &hook{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.reqs = append(h.reqs, b)
		h.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"action":"accept"}`)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) requests() [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]byte(nil), h.reqs...)
}

// newSim plays against h at every stage on a fixed clock, so that two
// plays of the same session send the same bytes.
func newSim(t *testing.T, h *hook) *simulator.Simulator {
	t.Helper()
	stages := hookconf.StageSet{}
	for _, s := range []wire.Stage{wire.StageConnect, wire.StageEhlo, wire.StageMail, wire.StageRcpt, wire.StageData} {
		stages[s] = true
	}
	hk := &hookconf.Hook{ID: "h", URL: h.srv.URL, Enable: hookconf.ConstExpression(true), Stages: stages,
		Timeout: 5 * time.Second, TempFailOnError: true, MaxResponseSize: hookconf.DefaultMaxResponseSize}
	sim := simulator.New([]*hookconf.Hook{hk}, nil)
	fixed := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	sim.Now = func() time.Time { return fixed }
	sim.QueueIDs = simulator.NewQueueIDs(sim.Now, 1)
	t.Cleanup(func() { sim.Client.Close() })
	return sim
}

// selfSigned is a TLS configuration with a certificate made now.
func selfSigned(t *testing.T) *tls.Config {
	t.Helper()
	cfg, _, err := SelfSigned("mx.example.org")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// recordingConn keeps every byte the client read.
type recordingConn struct {
	net.Conn
	mu   sync.Mutex
	read bytes.Buffer
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.read.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

const message = "From: John <john@example.org>\r\nTo: Bill <bill@example.org>\r\nSubject: live\r\n\r\n" +
	"Hello.\r\n.A line that starts with a period.\r\n..And two.\r\n"

// A real SMTP client (net/smtp) talking to the live server gives the hook
// the same requests, byte for byte, and hears the same replies as the
// equivalent session script played by the simulator: plain, and with
// STARTTLS (the hook then sees the TLS the client negotiated).
func TestNetSMTPClientIsTheScript(t *testing.T) {
	t.Parallel()
	for _, withTLS := range []bool{false, true} {
		live, scriptHook := newHook(t), newHook(t)
		srv := &Server{Sim: newSim(t, live), TLS: selfSigned(t)}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		results := make(chan *simulator.SessionResult, 1)
		go func() {
			conn, err := ln.Accept()
			if err != nil {
				close(results)
				return
			}
			results <- srv.ServeConn(context.Background(), conn)
		}()
		raw, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conn := &recordingConn{Conn: raw}
		c, err := smtp.NewClient(conn, "mx.example.org")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Hello("client.example.net"); err != nil {
			t.Fatal(err)
		}
		// The equivalent script, as a user writes it (defaults and all).
		local := raw.LocalAddr().(*net.TCPAddr)
		script := fmt.Sprintf("client: {ip: %s, port: %d}\nsteps:\n  - ehlo: client.example.net\n", local.IP, local.Port)
		if withTLS {
			if err := c.StartTLS(&tls.Config{InsecureSkipVerify: true, ServerName: "mx.example.org"}); err != nil {
				t.Fatal(err)
			}
			st, _ := c.TLSConnectionState()
			script = fmt.Sprintf("client: {ip: %s, port: %d, tls: {version: %s, cipher: %s}}\nsteps:\n  - ehlo: client.example.net\n",
				local.IP, local.Port, TLSVersionName(st.Version), TLSCipherName(st.Version, st.CipherSuite))
			// net/smtp says EHLO again after STARTTLS.
			script += "  - starttls\n  - ehlo: client.example.net\n"
		}
		if err := c.Mail("john@example.org"); err != nil {
			t.Fatal(err)
		}
		if err := c.Rcpt("bill@example.org"); err != nil {
			t.Fatal(err)
		}
		w, err := c.Data()
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, message)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := c.Quit(); err != nil {
			t.Fatal(err)
		}
		res := <-results
		ln.Close()
		if res == nil || res.Err != nil {
			t.Fatalf("live session: %+v", res)
		}
		// net/smtp sends BODY=8BITMIME, as the server offers 8BITMIME.
		script += "  - mail: {address: john@example.org, params: BODY=8BITMIME}\n  - rcpt: bill@example.org\n" +
			"  - data: {inline: " + strconv.Quote(message) + "}\n  - quit\n"
		sess, err := sessions.Parse("equivalent.yaml", []byte(script), nil)
		if err != nil {
			t.Fatalf("%v\n%s", err, script)
		}
		played := newSim(t, scriptHook).Play(context.Background(), sess)

		lr, sr := live.requests(), scriptHook.requests()
		if len(lr) != 5 || len(lr) != len(sr) {
			t.Fatalf("TLS %v: %d live requests, %d from the script", withTLS, len(lr), len(sr))
		}
		for i := range lr {
			if !bytes.Equal(lr[i], sr[i]) {
				t.Errorf("TLS %v: request %d differs:\n live   %s\n script %s", withTLS, i+1, lr[i], sr[i])
			}
		}
		var want strings.Builder
		for _, st := range played.Steps {
			for _, r := range st.Replies {
				want.WriteString(r + "\r\n")
			}
		}
		conn.mu.Lock()
		heard := conn.read.String()
		conn.mu.Unlock()
		if withTLS {
			// After STARTTLS the bytes read from the TCP connection are
			// encrypted: compare what the simulator recorded instead.
			var got strings.Builder
			for _, st := range res.Steps {
				for _, r := range st.Replies {
					got.WriteString(r + "\r\n")
				}
			}
			heard = got.String()
			if !strings.HasPrefix(conn.read.String(), want.String()[:strings.Index(want.String(), "220 2.0.0")]) {
				t.Errorf("TLS: what the client read before the handshake differs")
			}
		}
		if heard != want.String() {
			t.Errorf("TLS %v: the client heard\n%s\nthe script's replies are\n%s", withTLS, heard, want.String())
		}
	}
}

// A TLS listener (Stalwart's implicit TLS, port 465): the handshake comes
// before the greeting, EHLO offers no STARTTLS, and the hook sees the
// TLS negotiated from the connect stage on, as for the equivalent script.
func TestImplicitTLS(t *testing.T) {
	t.Parallel()
	live, scriptHook := newHook(t), newHook(t)
	srv := &Server{Sim: newSim(t, live)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	results := make(chan *simulator.SessionResult, 1)
	go func() {
		conn, err := tls.NewListener(ln, selfSigned(t)).Accept()
		if err != nil {
			close(results)
			return
		}
		results <- srv.ServeConn(context.Background(), conn)
	}()
	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtp.NewClient(conn, "mx.example.org")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Hello("client.example.net"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Error("STARTTLS offered on a TLS connection")
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	res := <-results
	if res == nil || res.Err != nil {
		t.Fatalf("result %+v", res)
	}
	st := conn.ConnectionState()
	local := conn.LocalAddr().(*net.TCPAddr)
	sess, err := sessions.Parse("tls.yaml", []byte(fmt.Sprintf(
		"client: {ip: %s, port: %d, tls: {version: %s, cipher: %s, implicit: true}}\nsteps:\n  - ehlo: client.example.net\n  - quit\n",
		local.IP, local.Port, TLSVersionName(st.Version), TLSCipherName(st.Version, st.CipherSuite))), nil)
	if err != nil {
		t.Fatal(err)
	}
	newSim(t, scriptHook).Play(context.Background(), sess)
	lr, sr := live.requests(), scriptHook.requests()
	if len(lr) != 2 || len(sr) != 2 || !bytes.Equal(lr[0], sr[0]) || !bytes.Equal(lr[1], sr[1]) ||
		!strings.Contains(string(lr[0]), TLSCipherName(st.Version, st.CipherSuite)) {
		t.Errorf("requests differ:\n live   %q\n script %q", lr, sr)
	}
}
