package doctest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

const sessionsDoc = "../sessions.md"

// queuedAt is the clock of the example in sessions.md.
var queuedAt = time.Date(2026, 3, 2, 8, 15, 3, 0, time.UTC)

// TestQueuedExample: each block of sessions.md marked "queued: NAME" is,
// line for line, the message of the bundled session NAME as queued when
// played at queuedAt against a hook that accepts at every stage and adds
// X-Spam-Score: 0.0 at data (as the example hook does for hello).
func TestQueuedExample(t *testing.T) {
	t.Parallel()
	blocks, names := marked(readBlocks(t, sessionsDoc), "queued")
	if len(blocks) == 0 {
		t.Fatalf("no block marked queued: NAME in %s", sessionsDoc)
	}
	for i, b := range blocks {
		s, err := sessions.BundledByName(names[i])
		if err != nil {
			t.Fatalf("%s: %v", b.Where(), err)
		}
		_, url := startRecordingHook(t, func(req map[string]any) any {
			if c, _ := req["context"].(map[string]any); c["stage"] == "data" {
				return map[string]any{"action": "accept", "modifications": []any{
					map[string]any{"type": "addHeader", "name": "X-Spam-Score", "value": "0.0"}}}
			}
			return map[string]any{"action": "accept"}
		})
		hook, err := hookconf.FromFlags(hookconf.FlagSpec{URL: url, Stages: []string{"all"}, Timeout: "10s"})
		if err != nil {
			t.Fatal(err)
		}
		sim := simulator.New([]*hookconf.Hook{hook}, nil)
		sim.Now = func() time.Time { return queuedAt }
		sim.QueueIDs = simulator.NewQueueIDs(sim.Now, 1)
		res := sim.Play(context.Background(), s)
		sim.Client.Close()
		if res.Err != nil || len(res.Transactions) != 1 || res.Transactions[0].Queued == nil {
			t.Fatalf("%s: %s did not queue one message: %v", b.Where(), names[i], res.Err)
		}
		got := strings.ReplaceAll(string(res.Transactions[0].Queued), "\r\n", "\n") + "\n"
		if got != b.Body {
			t.Errorf("%s: the example differs from the message as queued:\n%s", b.Where(), got)
		}
	}
}
