package simulator

import (
	"context"
	"encoding/base64"
	"errors"

	"github.com/hooksim/hooksim/sessions"
)

// MaxLineLength is smtp-proto's MAX_LINE_LENGTH (request/receiver.rs:11):
// a command line with this many bytes or more before its LF (the CR
// counts) is dropped and answered ReplyLineTooLong.
//
// Stalwart reads 8192 bytes at a time (spawn.rs:143) and smtp-proto
// checks the limit only on a line that does not end in the bytes of one
// read, so a longer line that arrives whole in one read is parsed
// (receiver.rs:57-95). hooksim plays the line as it comes over a network,
// split into segments, which is how the limit bites: any line of 4096
// bytes or more before its LF is refused.
const MaxLineLength = 4096

// lineTooLong reports a command line, sent without its CRLF, that
// Stalwart refuses: with the CR, MaxLineLength bytes or more before the LF.
func lineTooLong(line string) bool { return len(line)+len("\r") >= MaxLineLength }

// wireLine is the command line a step sends, as it goes on the wire
// (without the CRLF): what the transcript shows, but AUTH with its real
// initial response for its mechanism and the first BDAT line (they are
// all short).
func wireLine(step *sessions.Step) string {
	switch step.Kind {
	case sessions.StepAuth:
		b64 := base64.StdEncoding.EncodeToString
		switch step.Mechanism {
		case "login": // the user name and password follow on SASL lines
			return "AUTH LOGIN"
		case "xoauth2":
			return "AUTH XOAUTH2 " + b64([]byte("user="+step.Login+"\x01auth=Bearer "+step.Password+"\x01\x01"))
		case "oauthbearer":
			return "AUTH OAUTHBEARER " + b64([]byte("n,a="+step.Login+",\x01auth=Bearer "+step.Password+"\x01\x01"))
		}
		return "AUTH PLAIN " + b64([]byte("\x00"+step.Login+"\x00"+step.Password))
	case sessions.StepBdat:
		return bdatCommands(step)[0]
	}
	return commandLine(step)
}

// mailLine parses a MAIL line as smtp-proto does and hands it to mail;
// a line it refuses is answered without more (session.rs:292-355).
func (p *player) mailLine(ctx context.Context, st *StepResult, line string) {
	m, err := ParseMail(line)
	if err != nil {
		st.Replies = append(st.Replies, lineReply(err))
		return
	}
	p.mail(ctx, st, &m)
}

// rcptLine parses a RCPT line as smtp-proto does and hands it to rcpt.
func (p *player) rcptLine(ctx context.Context, st *StepResult, line string) {
	r, err := ParseRcpt(line)
	if err != nil {
		st.Replies = append(st.Replies, lineReply(err))
		return
	}
	p.rcpt(ctx, st, &r)
}

func lineReply(err error) string {
	var le *LineError
	if errors.As(err, &le) {
		return le.Reply
	}
	return ReplyInvalidCommand
}
