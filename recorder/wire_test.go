package recorder

import (
	"context"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookclient/hooktest"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/store"
)

// TestWireRecorded: every exchange is stored with the request head the
// hook read (the token hidden) and the response head it sent, byte for
// byte, and Load gives them back.
func TestWireRecorded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, _ := openStore(t)
	const head = "HTTP/1.0 200 OK\r\ncontent-type:application/json\r\nX-Odd:   spaced  \r\n\r\n"
	hook := hooktest.New(t, hooktest.Answer(func(int) string { return head + `{"action":"accept"}` }))
	h := flagHook(t, hookconf.FlagSpec{URL: hook.URL("/hook"), Bearer: "tok-9f9f"})
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
	var heads []string
	for _, r := range hook.Requests() {
		heads = append(heads, r.Head)
	}
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
		l := loaded.ExchangeRows[i]
		if l.Seq != ex.Seq || l.Wire == nil || string(l.Wire.RequestHead) != want || string(l.Wire.ResponseHead) != head || l.Wire.BodyRead != "complete" {
			t.Errorf("loaded exchange %d: wire %+v", l.Seq, l.Wire)
		}
	}
	// The vocabulary tells the protocol from the recorded request head.
	for _, ex := range report.SortedExchanges(loaded.Report) {
		if ex.HTTPVersion != hookclient.ProtoHTTP11 {
			t.Errorf("loaded exchange %d: HTTP version %q, want %q", ex.Seq, ex.HTTPVersion, hookclient.ProtoHTTP11)
		}
	}
}
