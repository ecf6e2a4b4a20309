// Package export turns a recorded run into something to keep or run
// elsewhere: a session script with expectations, or curl commands; and
// shows a recorded exchange as it was on the wire (Raw).
package export

import (
	"fmt"
	"time"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
)

// Session writes a run as a session script whose expectations are what
// the hooks answered then, so that `hooksim test` fails where they change.
func Session(l *recorder.Loaded) ([]byte, error) {
	if l.Session == nil {
		return nil, fmt.Errorf("export: run #%d has no session script recorded (a replay of single exchanges?)", l.Run.ID)
	}
	s := simulator.Expectations(l.Session, l.Result)
	comment := fmt.Sprintf("Exported by hooksim from run #%d (%s), played %s.\nThe expectations are what the hook answered then: hooksim test fails where it answers differently.",
		l.Run.ID, l.Run.SessionFile, l.Run.Started.UTC().Format(time.RFC3339))
	return sessions.MarshalWith(s, sessions.MarshalOptions{Comment: comment})
}
