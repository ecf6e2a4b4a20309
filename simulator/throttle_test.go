package simulator_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

// newThrottledSim plays against an accepting hook at every stage, with
// Stalwart's default throttles, on a fixed clock.
func newThrottledSim(t *testing.T) *simulator.Simulator {
	t.Helper()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"action":"accept"}`)
	}))
	t.Cleanup(hook.Close)
	h, err := hookconf.FromFlags(hookconf.FlagSpec{URL: hook.URL, Stages: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	sim := simulator.New([]*hookconf.Hook{h}, nil)
	t.Cleanup(func() { sim.Client.Close() })
	fixed := time.Date(2026, 11, 30, 12, 30, 0, 0, time.UTC)
	sim.Now = func() time.Time { return fixed }
	sim.Throttles = simulator.NewThrottles()
	return sim
}

// Stalwart's default throttles count in fixed windows aligned on the
// Unix epoch (is_rate_allowed): 5 connections per second per address,
// 25 per hour per sender domain and recipient; refused attempts count.
func TestThrottleWindows(t *testing.T) {
	th := simulator.NewThrottles()
	sec := time.Unix(1_800_000_000, 0)
	for i := 1; i <= 7; i++ {
		if got, want := th.Connect("192.0.2.1", sec.Add(time.Duration(i)*100*time.Millisecond)), i <= 5; got != want {
			t.Errorf("connection %d in one second: %v, want %v", i, got, want)
		}
	}
	if !th.Connect("192.0.2.2", sec) {
		t.Error("another address shares the first one's count")
	}
	if !th.Connect("192.0.2.1", sec.Add(time.Second)) {
		t.Error("the next second's window is not new")
	}
	hour := time.Unix(1_800_000_000/3600*3600, 0)
	for i := 1; i <= 27; i++ {
		if got, want := th.Rcpt("Example.ORG", "bill@example.org", hour.Add(time.Duration(i)*time.Minute)), i <= 25; got != want {
			t.Errorf("recipient %d in one hour: %v, want %v", i, got, want)
		}
	}
	if !th.Rcpt("example.net", "bill@example.org", hour) || !th.Rcpt("", "bill@example.org", hour) {
		t.Error("another sender domain, or the null sender, shares the count")
	}
	if !th.Rcpt("example.org", "bill@example.org", hour.Add(time.Hour)) {
		t.Error("the next hour's window is not new")
	}
}

// At RCPT the throttle comes after the hooks (which see the recipient)
// and the relay check: the 26th message of an hour from one sender
// domain to one recipient gets 452 4.4.5, and no data stage follows.
func TestRcptThrottle(t *testing.T) {
	sim := newThrottledSim(t)
	sess, err := sessions.Parse("t.yaml", []byte("steps:\n  - mail: john@example.org\n  - rcpt: bill@example.org\n  - data: {inline: \"Subject: x\\r\\n\\r\\nx\\r\\n\"}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 26; i++ {
		res := sim.Play(context.Background(), sess)
		rcpt := res.Steps[3]
		want := "250 2.1.5 OK"
		if i == 26 {
			want = simulator.ReplyRateLimit
		}
		if rcpt.Reply() != want {
			t.Fatalf("message %d: RCPT %q, want %q", i, rcpt.Reply(), want)
		}
		if len(rcpt.Exchanges) != 1 {
			t.Errorf("message %d: %d rcpt hook calls, want 1 (the hooks come first)", i, len(rcpt.Exchanges))
		}
		if i == 26 && (len(res.Steps[4].Exchanges) != 0 || !strings.HasPrefix(res.Steps[4].Reply(), "503")) {
			t.Errorf("after the throttle, DATA: %q with %d hook calls", res.Steps[4].Reply(), len(res.Steps[4].Exchanges))
		}
	}
}
