package recorder

import (
	"bufio"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/store"
)

// rawHook is a loopback hook that answers every request with the same
// bytes and closes the connection; it keeps the request heads it read.
type rawHook struct {
	ln    net.Listener
	mu    sync.Mutex
	heads []string
}

func newRawHook(t *testing.T, answer string) *rawHook {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &rawHook{ln: ln}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				var head strings.Builder
				length := 0
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					head.WriteString(line)
					if line == "\r\n" {
						break
					}
					if name, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(name, "content-length") {
						length, _ = strconv.Atoi(strings.TrimSpace(v))
					}
				}
				if _, err := io.CopyN(io.Discard, br, int64(length)); err != nil {
					return
				}
				h.mu.Lock()
				h.heads = append(h.heads, head.String())
				h.mu.Unlock()
				_, _ = io.WriteString(c, answer)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return h
}

// TestWireRecorded: every exchange is stored with the request head the
// hook read (the token hidden) and the response head it sent, byte for
// byte, and Load gives them back.
func TestWireRecorded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, _ := openStore(t)
	const head = "HTTP/1.0 200 OK\r\ncontent-type:application/json\r\nX-Odd:   spaced  \r\n\r\n"
	hook := newRawHook(t, head+`{"action":"accept"}`)
	h := flagHook(t, hookconf.FlagSpec{URL: "http://" + hook.ln.Addr().String() + "/hook", Bearer: "tok-9f9f"})
	rec := New(st, Options{})
	sim := newSim(t, rec, h)
	res := sim.Play(ctx, hello(t))
	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if res.Exchanges == 0 {
		t.Fatal("no exchange played")
	}
	runs, err := st.ListRuns(ctx, store.RunFilter{})
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs %v, %v", runs, err)
	}
	exs, err := st.Exchanges(ctx, runs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	hook.mu.Lock()
	heads := append([]string(nil), hook.heads...)
	hook.mu.Unlock()
	if len(exs) != res.Exchanges || len(heads) != len(exs) {
		t.Fatalf("%d exchanges stored, %d played, %d requests seen", len(exs), res.Exchanges, len(heads))
	}
	loaded, err := Load(ctx, st, runs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, ex := range exs {
		want := strings.Replace(heads[i], "Bearer tok-9f9f", "Bearer ****", 1)
		if ex.Wire == nil || string(ex.Wire.RequestHead) != want || string(ex.Wire.ResponseHead) != head || ex.Wire.BodyRead != "complete" {
			t.Fatalf("exchange %d: wire %+v\nwant request head %q", ex.Seq, ex.Wire, want)
		}
		l := loaded.Exchanges[i]
		if string(l.Call.RequestHead) != want || string(l.Call.ResponseHead) != head || l.Call.BodyRead != "complete" {
			t.Errorf("loaded exchange %d: %q %q %q", l.Seq, l.Call.RequestHead, l.Call.ResponseHead, l.Call.BodyRead)
		}
	}
}
