package simulator

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hooksim/hooksim/sessions"
)

// liveScript gathers the steps of a live connection as a session script
// can say them (Live.KeepScript), for SessionResult.Script.
type liveScript struct {
	steps []sessions.Step
	// cut says why the steps stop short of the connection ("" while
	// every step so far could be written): the first step a script
	// cannot carry, which a script then leaves out with all after it.
	cut string
}

// KeepScript makes Finish give the connection as a session script
// (SessionResult.Script), so that a recorder keeps it with the run and
// `hooksim export` can turn a live connection into a regression test.
// Call it before the first Step.
func (l *Live) KeepScript() { l.script = &liveScript{} }

// keep adds a step played to the script (what the client sent, without
// its expectations), or stops the script at a step no script can say.
func (ls *liveScript) keep(step *sessions.Step, res *StepResult) {
	if ls == nil || ls.cut != "" {
		return
	}
	st := *step
	st.Expect, st.Line, st.Implied = nil, 0, false
	// The client's password is not kept: no hook request carries it,
	// and the step's AuthFail keeps what the server made of it.
	st.Password = ""
	if st.Kind == sessions.StepData && st.Message == nil {
		// A DATA refused before its 354 has no message: the same line,
		// played raw, gets the same refusal (player.raw).
		st = sessions.Step{Kind: sessions.StepRaw, Arg: "DATA"}
	}
	if why := unscriptable(&st); why != "" {
		ls.stop(fmt.Sprintf("step %d (%s) %s", res.Index+1, OneLineCommand(res.Command), why))
		return
	}
	ls.steps = append(ls.steps, tidyStep(st))
}

// stop ends the script before the step why describes.
func (ls *liveScript) stop(why string) {
	if ls != nil && ls.cut == "" {
		ls.cut = why
	}
}

// OneLineCommand is a client command for a note or a log line: at most 60 characters,
// control characters shown as "?".
func OneLineCommand(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return '?'
		}
		return r
	}, s)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// unscriptable says why a script cannot carry st ("" when it can).
func unscriptable(st *sessions.Step) string {
	switch {
	case !scriptText(st.Arg) || !scriptText(st.Params) || !scriptText(st.Login):
		return "holds bytes a script cannot carry (control characters or invalid UTF-8)"
	case st.Kind.IsMessage() && st.Message == nil:
		return "has no message"
	}
	return ""
}

// scriptText reports text a script's string can carry as it is.
func scriptText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f })
}

// tidyStep writes a raw command as the step that sends the very same
// line, so that the script reads as a user writes one: "EHLO x" as
// ehlo, "MAIL FROM:<a@b> SIZE=1" as mail with its parameters,
// "STARTTLS", "RSET", "NOOP" and "QUIT" as their steps. A line a step
// would spell otherwise ("mail from:<a@b>", "EHLO  x") stays raw:
// both are played by the same code from the same line (player.command,
// player.raw), so the script plays as the client did.
func tidyStep(st sessions.Step) sessions.Step {
	if st.Kind != sessions.StepRaw {
		return st
	}
	line := st.Arg
	verb, rest, hasArg, ok := splitCommand(line)
	if !ok {
		return st
	}
	var c sessions.Step
	switch verb {
	case "EHLO", "HELO":
		if !hasArg || rest == "" || strings.ContainsAny(rest, " \t") {
			return st
		}
		c = sessions.Step{Kind: sessions.StepEhlo, Arg: rest}
		if verb == "HELO" {
			c.Kind = sessions.StepHelo
		}
	case "STARTTLS", "RSET", "NOOP", "QUIT":
		c = sessions.Step{Kind: sessions.StepKind(strings.ToLower(verb))}
	case "MAIL", "RCPT":
		prefix := map[string]string{"MAIL": "MAIL FROM:<", "RCPT": "RCPT TO:<"}[verb]
		addr, params, ok := strings.Cut(strings.TrimPrefix(line, prefix), ">")
		if !strings.HasPrefix(line, prefix) || !ok || !scriptAddress(addr, verb == "MAIL") {
			return st
		}
		c = sessions.Step{Kind: sessions.StepMail, Arg: addr, Params: strings.TrimPrefix(params, " ")}
		if verb == "RCPT" {
			c.Kind = sessions.StepRcpt
		}
	default:
		return st
	}
	if commandLine(&c) != line {
		return st
	}
	return c
}

// scriptAddress reports an address a mail or rcpt step takes as written
// (sessions' validAddress): local@domain, nothing a script reads apart.
func scriptAddress(a string, nullOK bool) bool {
	if a == "" {
		return nullOK
	}
	at := strings.LastIndexByte(a, '@')
	return at > 0 && at < len(a)-1 && !strings.ContainsAny(a, " <>,\t\"") && scriptText(a)
}

// build is the session as played: the client and server of sess, the
// TLS negotiated (tls, nil for none), the local domains the connection
// ended with, imply: false, and the steps kept, with the script Marshal
// wrote of it. A session Marshal cannot write (which should not happen)
// is written with its commands raw, and failing that is no script at
// all (nil).
func (ls *liveScript) build(sess *sessions.Session, tls *sessions.TLS, localDomains []string, started string) (*sessions.Session, []byte) {
	s := &sessions.Session{Name: sess.Name, File: sess.File, Client: sess.Client, Server: sess.Server, Hooks: sess.Hooks, NoImply: true}
	if tls != nil {
		t := *tls
		s.Client.TLS = &t
	}
	s.Server.LocalDomains = slices.Clone(localDomains)
	s.Description = "Captured by hooksim smtp from " + sess.Client.IP + fmt.Sprintf(":%d", sess.Client.Port) + ", " + started + "."
	if ls.cut != "" {
		s.Description += "\nThe script stops before " + ls.cut + ": a script cannot say it, so it leaves out that step and all after it."
	}
	s.Steps = ls.steps
	if len(s.Steps) == 0 {
		return nil, nil
	}
	if b, err := sessions.Marshal(s); err == nil {
		return s, b
	}
	// A message no script can hold (an empty one, one enmime cannot read
	// even leniently: a multipart without its boundary) ends the script
	// before its step.
	for i, st := range s.Steps {
		if st.Kind.IsMessage() && st.Message != nil {
			if err := messageScriptable(st); err != nil {
				s.Steps = s.Steps[:i]
				if ls.cut == "" {
					s.Description += fmt.Sprintf("\nThe script stops before step %d (%s), whose message a script cannot hold (%v): a script cannot say it, so it leaves out that step and all after it.",
						i+1, strings.ToUpper(string(st.Kind)), err)
				}
				if b, err := sessions.Marshal(s); err == nil {
					return s, b
				}
				break
			}
		}
	}
	raw := *s
	raw.Steps = slices.Clone(s.Steps)
	for i, st := range raw.Steps {
		if line := commandLine(&st); st.Kind != sessions.StepRaw && st.Kind != sessions.StepConnect && !st.Kind.IsMessage() && st.Kind != sessions.StepAuth {
			raw.Steps[i] = sessions.Step{Kind: sessions.StepRaw, Arg: line}
		}
	}
	if b, err := sessions.Marshal(&raw); err == nil {
		return &raw, b
	}
	return nil, nil
}

// messageScriptable is why a script cannot hold the message of step st
// (nil when it can): a script of that step alone does not marshal.
func messageScriptable(st sessions.Step) error {
	one := &sessions.Session{Name: "message", NoImply: true, Steps: []sessions.Step{{Kind: sessions.StepConnect}, st},
		Client: sessions.Client{IP: sessions.DefaultClientIP, Port: sessions.DefaultClientPort},
		Server: sessions.Server{Hostname: sessions.DefaultServerHostname, IP: sessions.DefaultServerIP, Port: sessions.DefaultServerPort}}
	_, err := sessions.Marshal(one)
	if err != nil {
		if _, msg, ok := strings.Cut(err.Error(), "steps[1]: "); ok {
			return errors.New(msg)
		}
	}
	return err
}
