package smtpd

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooksim/hooksim/simulator"
)

// serve runs srv on a loopback listener until the test ends; results
// gets each connection's result.
func serve(t *testing.T, srv *Server) (addr string, cancel context.CancelFunc, results chan *simulator.SessionResult, done chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	results = make(chan *simulator.SessionResult, 100)
	srv.OnConn = func(r *simulator.SessionResult) { results <- r }
	ctx, cancel := context.WithCancel(context.Background())
	done = make(chan error, 1)
	ended := make(chan struct{})
	go func() { done <- srv.Serve(ctx, ln); close(ended) }()
	t.Cleanup(func() { cancel(); <-ended })
	return ln.Addr().String(), cancel, results, done
}

// dial connects and reads the greeting.
func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	r := bufio.NewReader(conn)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "220 ") {
		t.Fatalf("greeting: %q, %v", line, err)
	}
	return conn, r
}

// A silent client is told Stalwart's idle reply and disconnected; the
// session ends normally, after its connect step.
func TestIdleClient(t *testing.T) {
	t.Parallel()
	addr, _, results, _ := serve(t, &Server{Sim: newSim(t, newHook(t)), IdleTimeout: 200 * time.Millisecond})
	_, r := dial(t, addr)
	line, err := r.ReadString('\n')
	if line != "221 2.0.0 mx.example.org Disconnecting inactive client.\r\n" || err != nil {
		t.Errorf("after the idle timeout: %q, %v", line, err)
	}
	if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("the connection is still open: %v", err)
	}
	res := <-results
	if res.Err != nil || len(res.Steps) != 1 {
		t.Errorf("result: %d steps, %v; want the connect step, no error", len(res.Steps), res.Err)
	}
}

// Stopping the server tells a connected client Stalwart's shutdown
// reply; its session ends interrupted (the context's error), and Serve
// returns once every connection is over.
func TestShutdownTellsClients(t *testing.T) {
	t.Parallel()
	addr, cancel, results, done := serve(t, &Server{Sim: newSim(t, newHook(t))})
	conn, r := dial(t, addr)
	if _, err := io.WriteString(conn, "EHLO client.example.net\r\n"); err != nil {
		t.Fatal(err)
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, "250 ") {
			break
		}
	}
	cancel()
	line, err := r.ReadString('\n')
	if line != "421 4.3.0 mx.example.org Server shutting down.\r\n" || err != nil {
		t.Errorf("on shutdown: %q, %v", line, err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	res := <-results
	if !errors.Is(res.Err, context.Canceled) || len(res.Steps) != 2 {
		t.Errorf("result: %d steps, %v; want connect and EHLO, cancelled", len(res.Steps), res.Err)
	}
}

// Over MaxConnections a new client is closed before the greeting, without
// a word, as Stalwart's throttle does; once one leaves, another is served.
func TestMaxConnections(t *testing.T) {
	t.Parallel()
	addr, _, results, _ := serve(t, &Server{Sim: newSim(t, newHook(t)), MaxConnections: 1})
	first, _ := dial(t, addr)
	second, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	second.SetReadDeadline(time.Now().Add(10 * time.Second))
	if b, err := io.ReadAll(second); len(b) != 0 || err != nil {
		t.Errorf("over the limit: read %q, %v; want nothing and a close", b, err)
	}
	io.WriteString(first, "QUIT\r\n")
	<-results
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); dial(t, addr) }()
	wg.Wait()
}

// A client that leaves in the middle of a message: the DATA is recorded
// with the 354 it heard and how much of the message came, and the hook
// is not called at the data stage.
func TestClientLeavesMidData(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	addr, _, results, _ := serve(t, &Server{Sim: newSim(t, h)})
	conn, r := dial(t, addr)
	for _, cmd := range []string{"EHLO client.example.net", "MAIL FROM:<a@example.org>", "RCPT TO:<b@example.org>", "DATA"} {
		io.WriteString(conn, cmd+"\r\n")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if len(line) > 3 && line[3] == ' ' {
				break
			}
		}
	}
	io.WriteString(conn, "Subject: cut\r\n\r\nhalf a mess")
	conn.Close()
	res := <-results
	last := res.Steps[len(res.Steps)-1]
	if res.Err != nil || last.Kind != "data" || len(last.Replies) != 1 || !strings.HasPrefix(last.Replies[0], "354 ") ||
		!strings.Contains(last.Message, "27 bytes received") || len(last.Exchanges) != 0 {
		t.Errorf("last step %+v (session error %v)", last, res.Err)
	}
	if n := len(h.requests()); n != 4 {
		t.Errorf("the hook got %d requests, want 4 (connect, ehlo, mail, rcpt: no data stage)", n)
	}
}
