package web

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

func TestLiveEventFromSeparateRecorder(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *Config) { c.PollInterval = DefaultPollInterval })
	hook := newTestHook(t, "", "accept")
	c := ts.dial(t, -1)
	if hello := readEvent(t, c, time.Second); hello.Type != evHello || hello.Seq != 0 {
		t.Fatalf("first event = %+v, want hello 0", hello)
	}
	id := record(t, ts.dbPath, hook.URL, "hello", "")
	committed := time.Now()
	evs := readUntil(t, c, evRunFinished, id, 2*time.Second)
	if lag := time.Since(committed); lag > time.Second {
		t.Errorf("run-finished arrived %v after the run was committed, want under a second", lag)
	}
	var types []string
	var stages []string
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			t.Errorf("event %d has seq %d", i, ev.Seq)
		}
		types = append(types, ev.Type)
		if ev.Type == evExchange {
			if ev.Exchange.RunID != id {
				t.Errorf("exchange of run %d, want %d", ev.Exchange.RunID, id)
			}
			stages = append(stages, ev.Exchange.Stage)
		}
	}
	if types[0] != evRunStarted || evs[0].Run.ID != id || evs[0].Run.Outcome != "running" {
		t.Errorf("first event = %+v, want run-started of %d", evs[0], id)
	}
	if got := fmt.Sprint(stages); got != "[connect ehlo mail rcpt data]" {
		t.Errorf("exchange stages = %s (events %v)", got, types)
	}
	last := evs[len(evs)-1]
	if last.Run.Outcome == "running" || last.Run.Ended == nil || last.Run.Exchanges != 5 {
		t.Errorf("run-finished = %+v", last.Run)
	}
	for _, ev := range evs {
		if ev.Type == evExchange && ev.Exchange.Stage == "data" && fmt.Sprint(ev.Exchange.Modifications) != `[addHeader X-Test: "yes"]` {
			t.Errorf("data exchange modifications = %q", ev.Exchange.Modifications)
		}
	}
}

// collect reads events until the socket is quiet for quiet.
func collect(t *testing.T, ts *testServer, since int64, until func(event) bool) []event {
	t.Helper()
	c := ts.dial(t, since)
	defer c.Close()
	var out []event
	for {
		ev := readEvent(t, c, 3*time.Second)
		out = append(out, ev)
		if until(ev) {
			return out
		}
	}
}

func TestResumeWithoutLoss(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	hook := newTestHook(t, "", "accept")
	// A client that stays connected throughout sees everything.
	steady := ts.dial(t, -1)
	readEvent(t, steady, time.Second) // hello

	a := record(t, ts.dbPath, hook.URL, "hello", "")
	first := collect(t, ts, 0, func(ev event) bool { return ev.Type == evRunFinished && ev.Run.ID == a })
	if first[0].Type != evHello || first[0].Seq != 0 {
		t.Fatalf("hello = %+v", first[0])
	}
	lastSeen := first[len(first)-1].Seq // the client disconnects here

	b := record(t, ts.dbPath, hook.URL, "minimal", "")
	c := record(t, ts.dbPath, hook.URL, "hello", "")
	resumed := collect(t, ts, int64(lastSeen), func(ev event) bool { return ev.Type == evRunFinished && ev.Run.ID == c })
	all := readUntil(t, steady, evRunFinished, c, 3*time.Second)

	if resumed[0].Type != evHello || resumed[0].Seq != lastSeen {
		t.Fatalf("resumed hello = %+v, want seq %d", resumed[0], lastSeen)
	}
	resumed = resumed[1:]
	var missed []event
	for _, ev := range all {
		if ev.Seq > lastSeen {
			missed = append(missed, ev)
		}
	}
	if len(resumed) != len(missed) {
		t.Fatalf("resumed %d events, missed %d", len(resumed), len(missed))
	}
	for i := range missed {
		gb, _ := json.Marshal(resumed[i])
		wb, _ := json.Marshal(missed[i])
		if string(gb) != string(wb) {
			t.Errorf("resumed event %d = %s, want %s", i, gb, wb)
		}
		if resumed[i].Seq != lastSeen+uint64(i)+1 {
			t.Errorf("resumed event %d has seq %d, want %d", i, resumed[i].Seq, lastSeen+uint64(i)+1)
		}
	}
	runs := map[int64]bool{}
	for _, ev := range resumed {
		if ev.Type == evRunStarted {
			runs[ev.Run.ID] = true
		}
	}
	if !runs[b] || !runs[c] || runs[a] {
		t.Errorf("resumed run-started events for %v, want %d and %d only", runs, b, c)
	}
}

func TestResetWhenSinceIsGone(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *Config) { c.EventBuffer = 4 })
	hook := newTestHook(t, "", "accept")
	record(t, ts.dbPath, hook.URL, "hello", "")
	// Wait for the tail to log the run's end and its queued message, the
	// last event of the poll that saw it (more events than the log keeps).
	var latest uint64
	for deadline := time.Now().Add(3 * time.Second); ; {
		latest = ts.events.latest()
		msgs, _, _, _ := ts.events.after(latest-1, 1)
		var ev event
		if len(msgs) == 1 && json.Unmarshal(msgs[0], &ev) == nil && ev.Type == evMessageQueued {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the run's end and its message were not logged")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if latest <= 5 {
		t.Fatalf("only %d events", latest)
	}
	tests := []struct {
		name  string
		since int64
		reset bool
	}{
		{"too old", 1, true},
		{"from the future (a restarted server)", int64(latest) + 10, true},
		{"still buffered", int64(latest) - 2, false},
	}
	for _, tt := range tests {
		c := ts.dial(t, tt.since)
		hello := readEvent(t, c, time.Second)
		if hello.Type != evHello || hello.Latest == nil || *hello.Latest != latest {
			t.Errorf("%s: hello = %+v", tt.name, hello)
		}
		next := readEvent(t, c, time.Second)
		if tt.reset {
			if next.Type != evReset || next.Seq != latest {
				t.Errorf("%s: got %+v, want reset at %d", tt.name, next, latest)
			}
		} else if next.Type == evReset || next.Seq != uint64(tt.since)+1 {
			t.Errorf("%s: got %+v, want event %d", tt.name, next, tt.since+1)
		}
		c.Close()
	}
}

func TestEventLog(t *testing.T) {
	t.Parallel()
	l := newEventLog(3)
	for i := 0; i < 5; i++ {
		l.append(event{Type: evExchange})
	}
	tests := []struct {
		since    uint64
		max      int
		wantN    int
		wantLast uint64
		wantGone bool
	}{
		{0, 10, 0, 5, true},
		{1, 10, 0, 5, true},
		{2, 10, 3, 5, false},
		{3, 1, 1, 4, false},
		{5, 10, 0, 5, false},
		{6, 10, 0, 5, true},
	}
	for _, tt := range tests {
		msgs, last, wait, gone := l.after(tt.since, tt.max)
		if len(msgs) != tt.wantN || last != tt.wantLast || gone != tt.wantGone || wait == nil {
			t.Errorf("after(%d, %d) = %d msgs, last %d, gone %v; want %d, %d, %v", tt.since, tt.max, len(msgs), last, gone, tt.wantN, tt.wantLast, tt.wantGone)
		}
		for i, m := range msgs {
			var ev event
			if err := json.Unmarshal(m, &ev); err != nil || ev.Seq != tt.since+uint64(i)+1 {
				t.Errorf("after(%d)[%d] = %s", tt.since, i, m)
			}
		}
	}
	_, _, wait, _ := l.after(5, 10)
	l.append(event{Type: evExchange})
	select {
	case <-wait:
	default:
		t.Error("append did not wake the waiters")
	}
}
