package examplehook

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/simulator/wire"
)

func TestServe(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, done, err := Serve(ctx, "127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsLoopback() || tcp.Port == 0 {
		t.Fatalf("bound to %v", addr)
	}
	url := "http://" + addr.String() + "/mta-hook"
	body := stalwartRequest(wire.StageMail, newEnvelope("x@blocked.example"), nil)
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(got), `"enhanced_status":"5.7.1"`) {
		t.Fatalf("answer %d %s", resp.StatusCode, got)
	}

	cancel()
	select {
	case err, open := <-done:
		if !open || err != nil {
			t.Fatalf("shutdown: err=%v open=%v", err, open)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop")
	}
	if _, open := <-done; open {
		t.Error("done channel not closed after the final error")
	}
	if _, err := net.DialTimeout("tcp", addr.String(), time.Second); err == nil {
		t.Error("still listening after shutdown")
	}
}

func TestServeListenError(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr, done, err := Serve(t.Context(), ln.Addr().String(), Options{})
	if err == nil || addr != nil || done != nil {
		t.Fatalf("Serve on a busy port: addr=%v err=%v", addr, err)
	}
	if !strings.HasPrefix(err.Error(), "examplehook: listen ") {
		t.Errorf("error %q", err)
	}
}

func TestLoopbackDefault(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "", want: "127.0.0.1:0"},
		{in: ":8080", want: "127.0.0.1:8080"},
		{in: "127.0.0.1:9000", want: "127.0.0.1:9000"},
		{in: "[::1]:9000", want: "[::1]:9000"},
		{in: "localhost:0", want: "localhost:0"},
		{in: "no-port", wantErr: true},
	}
	for _, tc := range tests {
		got, err := loopbackDefault(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("loopbackDefault(%q) = %q, %v; want %q, err %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}
