package simulator

import (
	"strings"
	"testing"

	"github.com/hooksim/hooksim/sessions"
)

// A prompted auth step (no initial response on the AUTH line) says the
// "334 " Stalwart says, holds the response line to the line limit, and
// shows the AUTH line without credentials.
func TestPromptedAuth(t *testing.T) {
	t.Parallel()
	auth := func(password string) sessions.Step {
		return sessions.Step{Kind: sessions.StepAuth, Login: "john", Password: password, Prompted: true}
	}
	s := script(connect(), ehlo("mail.example.net"), sessions.Step{Kind: sessions.StepStartTLS}, ehlo("mail.example.net"),
		auth(strings.Repeat("p", 3100)), auth("s3cret"), quit())
	s.Server.Port = 587
	res := playWith(t, nil, s)
	for i, want := range map[int]string{
		4: "334 |500 5.5.6 Authentication Exchange line is too long.",
		5: "334 |235 2.7.0 Authentication succeeded.",
	} {
		if got := strings.Join(res.Steps[i].Replies, "|"); got != want {
			t.Errorf("step %d: %q, want %q", i+1, got, want)
		}
		if res.Steps[i].Command != "AUTH PLAIN" {
			t.Errorf("step %d shows %q", i+1, res.Steps[i].Command)
		}
	}
}
