package sessions

import (
	"slices"
	"strings"
)

// needsHelo are the steps that the server answers with "say EHLO first"
// when no HELO/EHLO came before: an implied ehlo goes before the first.
var needsHelo = []StepKind{StepStartTLS, StepAuth, StepMail, StepRcpt, StepData, StepBdat}

// endsTransaction are the steps after which a MAIL transaction starts
// afresh (data also does, once handled). STARTTLS is not one: Stalwart
// keeps the session data, the sender included, across the TLS upgrade
// (crates/smtp/src/inbound/spawn.rs, into_tls).
var endsTransaction = []StepKind{StepConnect, StepHelo, StepEhlo, StepRset, StepQuit}

// normalise fills the session from the decoded parts: defaults, TLS,
// implied steps and local domains.
func normalise(d *decoder, s *Session, cs clientSpec, ss serverSpec, items []item) *Error {
	s.Client, s.Server = cs.client, ss.server
	if len(items) == 0 {
		return d.errLine(0, "steps", "the list of steps is empty")
	}
	if err := applyTLS(d, s, cs, ss, items); err != nil {
		return err
	}
	ehloName := DefaultEhlo
	if s.Client.PTR != "" {
		ehloName = s.Client.PTR
	}
	if len(items) > 0 && items[0].step.Kind != StepConnect {
		items = append([]item{{step: Step{Kind: StepConnect, Line: items[0].step.Line, Implied: true}}}, items...)
	}
	if !s.NoImply {
		items = implyHelo(items, ehloName)
		var err *Error
		if items, err = implyEnvelope(d, items); err != nil {
			return err
		}
		if last := items[len(items)-1].step; last.Kind != StepQuit {
			items = append(items, item{step: Step{Kind: StepQuit, Line: last.Line, Implied: true}})
		}
	}
	s.Steps = make([]Step, len(items))
	for i, it := range items {
		if (it.step.Kind == StepHelo || it.step.Kind == StepEhlo) && it.step.Arg == "" {
			it.step.Arg = ehloName
		}
		s.Steps[i] = it.step
	}
	if len(s.Server.LocalDomains) == 0 {
		for _, st := range s.Steps {
			if st.Kind == StepRcpt {
				s.Server.LocalDomains = appendDomain(s.Server.LocalDomains, st.Arg[strings.LastIndexByte(st.Arg, '@')+1:])
			}
		}
	}
	return nil
}

// applyTLS settles the client's TLS: port 465 means implicit TLS, an
// implicit client means port 465 unless the port is given, and a
// starttls step needs a TLS to negotiate.
func applyTLS(d *decoder, s *Session, cs clientSpec, ss serverSpec, items []item) *Error {
	ts := cs.tls
	given := ts.node != nil && !ts.off
	if !ss.portSet && given && ts.tls.Implicit {
		s.Server.Port = ImplicitTLSPort
	}
	hasStartTLS := slices.ContainsFunc(items, func(it item) bool { return it.step.Kind == StepStartTLS })
	switch {
	case s.Server.Port == ImplicitTLSPort:
		if ts.off {
			return d.errAt(ts.node, "client.tls", "port %d is implicit TLS: tls cannot be false", ImplicitTLSPort)
		}
		if ts.implicitSet && !ts.tls.Implicit {
			return d.errAt(ts.node, "client.tls.implicit", "port %d is implicit TLS: implicit cannot be false", ImplicitTLSPort)
		}
		t := TLS{Version: DefaultTLSVersion, Cipher: DefaultTLSCipher}
		if given {
			t = ts.tls
		}
		t.Implicit = true
		s.Client.TLS = &t
	case given:
		t := ts.tls
		s.Client.TLS = &t
	case hasStartTLS:
		s.Client.TLS = &TLS{Version: DefaultTLSVersion, Cipher: DefaultTLSCipher}
	}
	return nil
}

// implyHelo inserts an ehlo in every connection where a mail or data
// step comes before any HELO/EHLO; it goes before the first step that
// needs one, with the line of the mail or data step that caused it.
func implyHelo(items []item, name string) []item {
	// cause[i] is the index of the first mail or data step at or after i
	// and before the next connect, helo or ehlo; -1 when there is none.
	cause := make([]int, len(items)+1)
	cause[len(items)] = -1
	for i := len(items) - 1; i >= 0; i-- {
		switch items[i].step.Kind {
		case StepMail, StepData, StepBdat:
			cause[i] = i
		case StepConnect, StepHelo, StepEhlo:
			cause[i] = -1
		default:
			cause[i] = cause[i+1]
		}
	}
	out := make([]item, 0, len(items)+1)
	greeted := false
	for i, it := range items {
		switch it.step.Kind {
		case StepConnect:
			greeted = false
		case StepHelo, StepEhlo:
			greeted = true
		}
		if !greeted && slices.Contains(needsHelo, it.step.Kind) && cause[i] >= 0 {
			line := items[cause[i]].step.Line
			out = append(out, item{step: Step{Kind: StepEhlo, Arg: name, Line: line, Implied: true}})
			greeted = true
		}
		out = append(out, it)
	}
	return out
}

// implyEnvelope gives every data step a MAIL and RCPTs when its
// transaction has none, taken from the message's headers.
func implyEnvelope(d *decoder, items []item) ([]item, *Error) {
	out := make([]item, 0, len(items)+4)
	start := 0
	for _, it := range items {
		if !it.step.Kind.IsMessage() {
			out = append(out, it)
			if slices.Contains(endsTransaction, it.step.Kind) {
				start = len(out)
			}
			continue
		}
		tx := out[start:]
		hasMail := slices.ContainsFunc(tx, func(t item) bool { return t.step.Kind == StepMail })
		firstRcpt := slices.IndexFunc(tx, func(t item) bool { return t.step.Kind == StepRcpt })
		line := it.step.Line
		if !hasMail {
			from, err := impliedSender(d, it)
			if err != nil {
				return nil, err
			}
			mail := item{step: Step{Kind: StepMail, Arg: from, Line: line, Implied: true}}
			if firstRcpt >= 0 {
				out = slices.Insert(out, start+firstRcpt, mail)
			} else {
				out = append(out, mail)
			}
		}
		if firstRcpt < 0 {
			rcpts, err := impliedRecipients(d, it)
			if err != nil {
				return nil, err
			}
			for _, r := range rcpts {
				out = append(out, item{step: Step{Kind: StepRcpt, Arg: r, Line: line, Implied: true}})
			}
		}
		out = append(out, it)
		start = len(out)
	}
	return out, nil
}

// impliedSender is the message's From address, else its Sender, else
// the null sender.
func impliedSender(d *decoder, it item) (string, *Error) {
	for _, h := range []string{"From", "Sender"} {
		list, err := messageAddresses(it.env, h)
		if err != nil {
			return "", d.errLine(it.step.Line, it.field, "no mail step, and the message's %v", err)
		}
		if len(list) == 0 {
			continue
		}
		if !validAddress(list[0]) {
			return "", d.errLine(it.step.Line, it.field, "no mail step, and the message's %s address %q is not an address", h, list[0])
		}
		return list[0], nil
	}
	return "", nil
}

// impliedRecipients are the message's To, Cc and Bcc addresses.
func impliedRecipients(d *decoder, it item) ([]string, *Error) {
	list, err := messageAddresses(it.env, "To", "Cc", "Bcc")
	if err != nil {
		return nil, d.errLine(it.step.Line, it.field, "no rcpt step, and the message's %v", err)
	}
	if len(list) == 0 {
		return nil, d.errLine(it.step.Line, it.field, "no rcpt step, and the message has no To, Cc or Bcc address")
	}
	for _, a := range list {
		if !validAddress(a) {
			return nil, d.errLine(it.step.Line, it.field, "no rcpt step, and the message's recipient %q is not an address", a)
		}
	}
	return list, nil
}
