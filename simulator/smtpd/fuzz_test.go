package smtpd

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/hooksim/hooksim/simulator"
)

// FuzzServerConn: whatever bytes a client sends (commands, junk, a
// message cut short, a line over the limit), the server answers, ends
// the session when the client goes, and never panics. No hook is
// configured, so that the fuzzer spends its time in the server.
func FuzzServerConn(f *testing.F) {
	for _, seed := range []string{
		"EHLO client.example.net\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n",
		"HELO x\r\nRSET\r\nNOOP\r\nVRFY a\r\nEXPN b\r\nHELP\r\nBDAT 0 LAST\r\nAUTH PLAIN AGEAYg==\r\nQUIT\r\n",
		"EHLO a.b\r\nMAIL FROM:<>\r\nRCPT TO:<x@y.z>\r\nDATA\r\n.\r\nno end",
		"\x00\xff\r\n\n\n" + string(make([]byte, 5000)) + "\r\nQUIT\r\n",
		"STARTTLS\r\n",
	} {
		f.Add([]byte(seed))
	}
	sim := simulator.New(nil, nil)
	f.Fuzz(func(t *testing.T, in []byte) {
		server, client := net.Pipe()
		srv := &Server{Sim: sim}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done := make(chan *simulator.SessionResult, 1)
		go func() { done <- srv.ServeConn(ctx, server) }()
		go io.Copy(io.Discard, client)
		client.Write(in)
		client.Close()
		select {
		case res := <-done:
			if res == nil || len(res.Steps) == 0 || ctx.Err() != nil {
				t.Fatalf("result %+v (context %v)", res, ctx.Err())
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the server did not end the session")
		}
	})
}
