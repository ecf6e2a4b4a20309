package simulator

import (
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Stalwart v0.16.18's replies to MAIL and RCPT parameters and to command
// lines too long, without the CRLF. Each is sent instead of 250; where
// it sits relative to the hook call is in docs/server-checks.md.
const (
	// ReplyDSNDisabled: ENVID= at MAIL (after the mail hook, mail.rs:452-464)
	// or NOTIFY=/ORCPT= at RCPT (before the rcpt hook, rcpt.rs:60-70)
	// while the server's dsn extension is off.
	ReplyDSNDisabled = "501 5.5.4 DSN extension has been disabled."
	// ReplyRequireTLSDisabled: REQUIRETLS while requireTls is off (mail.rs:277-292).
	ReplyRequireTLSDisabled = "501 5.5.4 REQUIRETLS has been disabled."
	// ReplyDeliverByDisabled: BY= while deliverBy is off (mail.rs:322-331).
	ReplyDeliverByDisabled = "501 5.5.4 DELIVERBY extension has been disabled."
	// ReplyMtPriorityDisabled: MT-PRIORITY= other than 0 while mtPriority
	// is off (mail.rs:351-360).
	ReplyMtPriorityDisabled = "501 5.5.4 MT-PRIORITY extension has been disabled."
	// ReplyInvalidPriority: MT-PRIORITY= outside -6..5 (mail.rs:340-350).
	ReplyInvalidPriority = "501 5.5.4 Invalid priority value."
	// ReplyFutureReleaseDisabled: HOLDFOR= or HOLDUNTIL= while
	// futureRelease is off (mail.rs:441-450).
	ReplyFutureReleaseDisabled = "501 5.5.4 FUTURERELEASE extension has been disabled."
	// ReplyHoldBoth: both HOLDFOR= and HOLDUNTIL= (mail.rs:385-395),
	// checked before futureRelease itself.
	ReplyHoldBoth = "501 5.5.4 Only one of HOLDFOR or HOLDUNTIL may be specified."
	// ReplyHoldUntilPast: HOLDUNTIL= not after now (mail.rs:407-418).
	ReplyHoldUntilPast = "501 5.5.4 HOLDUNTIL must be a date and time in the future."
	// ReplyLineTooLong: a command line of MaxLineLength bytes or more
	// before its LF (session.rs:356-359, 462-474).
	ReplyLineTooLong = "554 5.3.4 Line is too long."
)

// replyInvalidParam refuses a known parameter with a bad value; Stalwart
// prints the name with Rust's {:?} (session.rs:330-342).
func replyInvalidParam(name string) string {
	return "501 5.5.4 Invalid parameter " + rustDebugQuote(name) + "."
}

// replyUnsupportedParam refuses an unknown parameter, the whole KEY=VALUE
// token upper-cased (session.rs:343-355).
func replyUnsupportedParam(token string) string {
	return "504 5.5.4 Unsupported parameter " + rustDebugQuote(token) + "."
}

// replyByTooLong: BY= beyond deliverBy, or not positive without N (mail.rs:299-320).
func replyByTooLong(maxSeconds uint64) string {
	return "501 5.5.4 BY parameter exceeds maximum of " + strconv.FormatUint(maxSeconds, 10) + " seconds."
}

// replyHoldTooLong: HOLDFOR= beyond futureRelease (mail.rs:429-433).
func replyHoldTooLong(maxSeconds uint64) string {
	return "501 5.5.4 Requested hold time exceeds maximum of " + strconv.FormatUint(maxSeconds, 10) + " seconds."
}

// replyReleaseTooLate: HOLDUNTIL= beyond now plus futureRelease; the
// limit is written as mail-parser's DateTime::to_rfc3339 writes a UTC
// time (mail.rs:434-437).
func replyReleaseTooLate(limit int64) string {
	return "501 5.5.4 Requested release time exceeds maximum of " + time.Unix(limit, 0).UTC().Format("2006-01-02T15:04:05Z") + "."
}

// rustDebugQuote writes s as Rust's {:?} writes a str: in double quotes,
// with \0 \t \r \n \\ \" escaped, and grapheme extenders and characters
// that are not printable (control, format, separators but the space,
// unassigned) as \u{hex}. Printability follows Go's Unicode tables, which
// may trail Rust's by a version.
func rustDebugQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == 0:
			b.WriteString(`\0`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case unicode.In(r, unicode.Mn, unicode.Me, unicode.Other_Grapheme_Extend) || !unicode.IsPrint(r):
			b.WriteString(`\u{` + strconv.FormatInt(int64(r), 16) + `}`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
