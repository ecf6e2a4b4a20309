package examplehook

import (
	"errors"
	"strings"
)

// verdict is the hook's answer to one request plus what the log line
// reports about it.
type verdict struct {
	resp   response
	reason string // why a request was rejected; empty on accept
	score  *score // data stage only
}

// decide applies the hook's policy to one request. It never fails on
// content it merely dislikes; it fails only when a piece Stalwart always
// sends at that stage is missing.
func (h *handler) decide(req *request) (verdict, error) {
	switch req.Context.Stage {
	case "":
		return verdict{}, errors.New("missing context.stage")
	case stageMail:
		if req.Envelope == nil {
			return verdict{}, errors.New("mail stage without envelope")
		}
		return h.decideMail(req.Envelope), nil
	case stageRcpt:
		if req.Envelope == nil || len(req.Envelope.To) == 0 {
			return verdict{}, errors.New("rcpt stage without a recipient")
		}
		return decideRcpt(req.Envelope), nil
	case stageData:
		if req.Message == nil {
			return verdict{}, errors.New("data stage without message")
		}
		return h.decideData(req.Message), nil
	default:
		// connect, ehlo, and any stage a later Stalwart might add.
		return verdict{resp: accept()}, nil
	}
}

// decideMail rejects senders of a blocked domain. The null sender ("")
// has no domain and is accepted.
func (h *handler) decideMail(env *envelope) verdict {
	from := strings.ToLower(env.From.Address)
	for _, d := range h.opts.BlockedDomains {
		if strings.HasSuffix(from, "@"+d) {
			return verdict{
				resp:   reject(550, "5.7.1", "Sender blocked by policy"),
				reason: "sender domain " + d + " is blocked",
			}
		}
	}
	return verdict{resp: accept()}
}

// decideRcpt rejects the current recipient, the last of the envelope's
// "to" list, when its local part is "nobody".
func decideRcpt(env *envelope) verdict {
	rcpt := env.To[len(env.To)-1].Address
	local := rcpt
	if at := strings.LastIndexByte(rcpt, '@'); at >= 0 {
		local = rcpt[:at]
	}
	if strings.EqualFold(local, "nobody") {
		return verdict{
			resp:   reject(550, "5.1.1", "No such user here"),
			reason: "no mailbox " + rcpt,
		}
	}
	return verdict{resp: accept()}
}

// decideData scores the message and either rejects it or accepts it with
// modifications: the score header, the spam tag when it is high, and the
// archive recipient.
func (h *handler) decideData(m *message) verdict {
	s := spamScore(m)
	if s >= rejectThreshold {
		return verdict{
			resp:   reject(550, "5.7.1", "Message rejected as spam (score "+s.String()+")"),
			reason: "spam",
			score:  &s,
		}
	}
	mods := []modification{addHeader("X-Spam-Score", s.String())}
	if s >= flagThreshold {
		mods = append(mods, addHeader("X-Spam-Flag", "YES"))
		if raw, ok := m.rawHeader("Subject"); ok {
			// Index 1 is the first Subject header. The value keeps a
			// leading space: Stalwart writes "Subject:" + value when the
			// value starts with white space, so the line reads
			// "Subject: [SPAM] ...".
			tagged := " [SPAM]"
			if orig := strings.TrimSpace(raw); orig != "" {
				tagged += " " + orig
			}
			mods = append(mods, changeHeader(1, "Subject", tagged))
		} else {
			mods = append(mods, addHeader("Subject", "[SPAM]"))
		}
	}
	mods = append(mods, addRecipient(h.opts.ArchiveAddress))
	return verdict{resp: accept(mods...), score: &s}
}
