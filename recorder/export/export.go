// Package export turns a recorded run into something to keep or run
// elsewhere: a session script with expectations, or curl commands; and
// shows a recorded exchange as it was on the wire (Raw).
package export

import (
	"fmt"
	"time"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/store"
)

// SessionOptions tune Session.
type SessionOptions struct {
	// Lints keeps the lint codes reported then as expectations (off by
	// default: fixing what a lint points at must not fail a test).
	Lints bool
	// MessageFile names the file a message step's message goes to
	// instead of inline (sessions.MarshalOptions.MessageFile): the
	// caller writes each of those steps' Message.Raw (Loaded.Session's
	// steps, by the same index) into it.
	MessageFile func(step int) string
}

// Session writes a run as a session script whose expectations are what
// the hooks answered then, so that `hooksim test` fails where they
// change. The script carries the hook settings the run used (the `hooks`
// key: URL without credentials, stages, timeout, tempFailOnError,
// maxResponseSize, custom header names without their values, the kind of
// httpAuth), so `hooksim test` calls the hook the same way without flags.
func Session(l *recorder.Loaded, o SessionOptions) ([]byte, error) {
	if l.Run.Source == store.SourceProxy && l.Session == nil {
		return proxiedScript(l, o)
	}
	if l.Session == nil {
		return nil, fmt.Errorf("export: run #%d has no session script recorded (a replay of single exchanges?)", l.Run.ID)
	}
	s := expectations(l.Session, l.Report, o)
	if len(l.Run.Hooks) > 0 && string(l.Run.Hooks) != "null" {
		recorded, err := hookconf.ParseRecorded(l.Run.Hooks)
		if err != nil {
			return nil, fmt.Errorf("export: run #%d: %w", l.Run.ID, err)
		}
		s.Hooks = nil
		for _, h := range recorded {
			s.Hooks = append(s.Hooks, hookconf.SessionHook(h))
		}
	}
	comment := fmt.Sprintf("Exported by hooksim from run #%d (%s), played %s.\nThe expectations are what the hook answered then: hooksim test fails where it answers differently.",
		l.Run.ID, l.Run.SessionFile, l.Run.Started.UTC().Format(time.RFC3339))
	if hasAuth(s.Hooks) {
		comment += "\nThe hook's credentials are not in this file: give --bearer/--basic or set HOOKSIM_BEARER / HOOKSIM_BASIC (user:password)."
	}
	return sessions.MarshalWith(s, sessions.MarshalOptions{Comment: comment, MessageFile: o.MessageFile})
}

func hasAuth(hooks []sessions.Hook) bool {
	for _, h := range hooks {
		if h.HTTPAuth == string(hookconf.AuthBasic) || h.HTTPAuth == string(hookconf.AuthBearer) {
			return true
		}
	}
	return false
}
