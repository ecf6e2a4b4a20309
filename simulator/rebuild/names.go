package rebuild

import (
	"strings"
	"unicode/utf8"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/modify"
)

// What a session script can carry, as sessions' parser checks it
// (sessions/config.go validHost, validDomain; steps.go validAddress;
// decode.go hasControl), so that a rebuilt step reads back unchanged.

// hasControl reports C0 control characters and DEL.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// scriptHost reports a name an ehlo step or client.ptr takes.
func scriptHost(s string) bool {
	return s != "" && !hasControl(s) && !strings.ContainsAny(s, " <>@")
}

// scriptDomain reports a domain server.local_domains takes.
func scriptDomain(s string) bool {
	return scriptHost(s) && !strings.HasPrefix(s, ".") && !strings.Contains(s, "..")
}

// scriptAddress reports an address a mail or rcpt step takes as written;
// nullOK allows the null sender "".
func scriptAddress(a string, nullOK bool) bool {
	if a == "" {
		return nullOK
	}
	at := strings.LastIndexByte(a, '@')
	if at <= 0 || at == len(a)-1 || hasControl(a) || strings.ContainsAny(a, " <>,") {
		return false
	}
	return scriptDomain(a[at+1:])
}

// rawText reports a line a raw step can carry: UTF-8 without CR or LF.
func rawText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsAny(s, "\r\n")
}

// addressStep is the step that sends MAIL FROM (kind mail) or RCPT TO
// (kind rcpt) for addr, the lower-case address a request carries: a mail
// or rcpt step when a script can say the address, else a raw step with
// the same line. ok is false when the simulator would not read the line
// back to addr (smtp-proto's parser, Stalwart's lower-casing), so that
// the replayed request will differ.
func addressStep(kind sessions.StepKind, addr string) (st sessions.Step, ok bool) {
	line := "MAIL FROM:<" + addr + ">"
	if kind == sessions.StepRcpt {
		line = "RCPT TO:<" + addr + ">"
	}
	var got string
	var err error
	if kind == sessions.StepMail {
		var m simulator.MailFrom
		m, err = simulator.ParseMail(line)
		got = m.Address
	} else {
		var r simulator.RcptTo
		r, err = simulator.ParseRcpt(line)
		got = r.Address
	}
	ok = err == nil && modify.LowercaseAddress(got) == addr
	switch {
	case scriptAddress(addr, kind == sessions.StepMail):
		return sessions.Step{Kind: kind, Arg: addr}, ok
	case rawText(line):
		return sessions.Step{Kind: sessions.StepRaw, Arg: line}, ok
	}
	return sessions.Step{Kind: sessions.StepRaw, Arg: strings.NewReplacer("\r", "", "\n", "").Replace(line)}, false
}

// heloStep is the EHLO step that gives the HELO name name: an ehlo step,
// or a raw EHLO line when a script's ehlo cannot carry the name. ok is
// false when neither sends exactly that name.
func heloStep(name string) (sessions.Step, bool) {
	if scriptHost(name) {
		return sessions.Step{Kind: sessions.StepEhlo, Arg: name}, true
	}
	// smtp-proto's text() ends the name at a space or LF and drops CRs:
	// Stalwart never stores one with those.
	if name != "" && rawText(name) && !strings.ContainsRune(name, ' ') {
		return sessions.Step{Kind: sessions.StepRaw, Arg: "EHLO " + name}, true
	}
	clean := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, name)
	if clean == "" {
		clean = "null"
	}
	return sessions.Step{Kind: sessions.StepRaw, Arg: "EHLO " + clean}, false
}

// cleanName is a usable session name: control characters dropped,
// spaces trimmed, "rebuilt" when nothing is left.
func cleanName(name string) string {
	name = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, name))
	if name == "" {
		return "rebuilt"
	}
	return name
}
