package simulator

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hooksim/hooksim/simulator/wire"
)

// SMTP replies of Stalwart v0.16.18, without the CRLF (PROTOCOL.md §6).
// Replies that name the host are built by the functions below.
const (
	ReplyHookTempFail = "451 4.3.5 Unable to accept message at this time."
	ReplyHookReject   = wire.ReplyReject
	ReplyHookDiscard  = wire.ReplyDiscard
	ReplyMailOK       = "250 2.1.0 OK"
	ReplyRcptOK       = "250 2.1.5 OK"
	ReplyDataGo       = "354 Start mail input; end with <CRLF>.<CRLF>"
	// ReplyChunkOK answers a BDAT chunk before the LAST one (session.rs:420).
	ReplyChunkOK        = "250 2.6.0 Chunk accepted."
	ReplyOK             = "250 2.0.0 OK"
	ReplyBye            = "221 2.0.0 Bye."
	ReplyStartTLS       = "220 2.0.0 Ready to start TLS."
	ReplyAlreadyTLS     = "504 5.7.4 Already in TLS mode."
	ReplyAuthOK         = "235 2.7.0 Authentication succeeded."
	ReplyAuthFailed     = "535 5.7.8 Authentication credentials invalid."
	ReplyAuthNotAllowed = "503 5.5.1 AUTH not allowed."
	ReplyAlreadyAuth    = "503 5.5.1 Already authenticated."
	ReplyInvalidCommand = "500 5.5.1 Invalid command."
	ReplyEhloFirst      = "503 5.5.1 Polite people say EHLO first."
	ReplyMultipleMail   = "503 5.5.1 Multiple MAIL commands not allowed."
	ReplyAuthFirst      = "503 5.5.1 You must authenticate first."
	// ReplyIprevFailed and ReplyIprevTempFail: strict reverse-IP
	// verification refuses at MAIL FROM, before any hook (mail.rs:88-110).
	ReplyIprevFailed   = "550 5.7.25 Reverse DNS validation failed."
	ReplyIprevTempFail = "451 4.7.25 Temporary error validating reverse DNS."
	ReplyMailFirst     = "503 5.5.1 MAIL is required first."
	ReplyRcptFirst     = "503 5.5.1 RCPT is required first."
	ReplyTooManyRcpts  = "455 4.5.3 Too many recipients."
	ReplyTooBig        = "552 5.3.4 Message too big for system."
	ReplyRelayDenied   = "550 5.1.2 Relay not allowed."
	// ReplyTooManyRcptErrors replaces the N-th failed RCPT's reply, then
	// the connection is closed (rcpt.rs:450-456).
	ReplyTooManyRcptErrors = "451 4.3.0 Too many errors, disconnecting."
	ReplyMailSyntax        = "501 5.5.2 Syntax error, expected: MAIL FROM:<reverse-path> [parameters]"
	ReplyRcptSyntax        = "501 5.5.2 Syntax error, expected: RCPT TO:<forward-path> [parameters]"
	ReplyBadSender         = "501 5.1.8 Bad sender's system address."
	ReplyBadRcpt           = "501 5.1.3 Bad destination mailbox address syntax."
	ReplyParseFailed       = "550 5.7.7 Failed to parse message."
	// ReplyLoopDetected: more Received headers than maxReceivedHeaders
	// (data.rs:88-103), after parsing and before the queue id and any hook.
	ReplyLoopDetected    = "450 4.4.6 Too many Received headers. Possible loop detected."
	ReplyInvalidEhlo     = "550 5.5.0 Invalid EHLO domain."
	ReplyTooManyMessages = "452 4.4.5 Maximum number of messages per session exceeded."
	ReplyNotImplemented  = "502 5.5.1 Command not implemented."
	// ReplyEhloExpected answers LHLO on an SMTP listener (session.rs:229-241).
	ReplyEhloExpected = "502 5.5.1 Invalid command: EHLO expected."
	// ReplyMechanismNotSupported: AUTH with a mechanism outside
	// saslMechanisms (session.rs:130-150).
	ReplyMechanismNotSupported = "554 5.7.8 Authentication mechanism not supported."
	// ReplyTooManyAuthErrors follows the maxFailures-th failed AUTH, then
	// the connection closes (auth.rs:185-201).
	ReplyTooManyAuthErrors = "455 4.3.0 Too many authentication errors, disconnecting."
	// ReplyInvalidChallenge: an AUTH response that is not base64 or not
	// what the mechanism wants (auth.rs).
	ReplyInvalidChallenge = "500 5.5.6 Invalid challenge."
	// ReplySaslLineTooLong: a SASL response line of MaxLineLength bytes or
	// more (session.rs:426-447), counted as a failed AUTH.
	ReplySaslLineTooLong = "500 5.5.6 Authentication Exchange line is too long."
	// ReplyNotAllowedSender: an authenticated client sends from an address
	// of another account (mustMatchSender, mail.rs:233-272), after the
	// mail hook; the sender is dropped.
	ReplyNotAllowedSender = "501 5.5.4 You are not allowed to send from this address."
	ReplyHeloSyntax       = "501 5.5.2 Syntax error, expected: HELO domain"
	ReplyEhloSyntax       = "501 5.5.2 Syntax error, expected: EHLO domain"
	ReplyAuthSyntax       = "501 5.5.2 Syntax error, expected: AUTH mechanism [initial-response]"
	ReplyBdatSyntax       = "501 5.5.2 Syntax error, expected: BDAT chunk-size [LAST]"
	// ReplyAuthContinue asks for the initial response of PLAIN, XOAUTH2
	// or OAUTHBEARER when the AUTH line had none (note the space).
	ReplyAuthContinue = "334 "
	// ReplyAuthLoginUser and ReplyAuthLoginPass are the LOGIN prompts.
	ReplyAuthLoginUser = "334 VXNlcm5hbWU6"
	ReplyAuthLoginPass = "334 UGFzc3dvcmQ6"
	ReplyHelp          = "250 2.0.0 Help can be found at https://stalw.art"
	ReplyVrfyDisabled  = "252 2.5.1 VRFY is disabled."
	ReplyExpnDisabled  = "252 2.5.1 EXPN is disabled."
)

// Stalwart's defaults for the limits the simulator enforces.
const (
	DefaultMaxMessageSize = 104857600
	DefaultMaxRecipients  = 100
	DefaultMaxMessages    = 10
	// DefaultMaxReceivedHeaders is MtaStageData.maxReceivedHeaders.
	DefaultMaxReceivedHeaders = 50
	// DefaultMaxRcptFailures is MtaStageRcpt.maxFailures.
	DefaultMaxRcptFailures = 5
	// DefaultMaxAuthFailures is MtaStageAuth.maxFailures.
	DefaultMaxAuthFailures  = 3
	DefaultGreetingHostname = "mx.example.org"
)

func replyGreeting(host string) string { return "220 " + host + " Stalwart ESMTP at your service" }
func replyHelo(host string) string     { return "250 " + host + " you had me at HELO" }

// ReplyQueued is the reply to a message queued with the hex queue id
// (data.rs: "Message queued with id {:x}."), the id the data stage's hook
// request carries as context.queue.id.
func ReplyQueued(id string) string { return "250 2.0.0 Message queued with id " + id + "." }

// QueuedReplyPattern matches the queued reply (ReplyQueued) whatever the
// queue id, which changes on every play: what an exported expectation of
// a queued reply expects (reply_match).
const QueuedReplyPattern = `^250 2\.0\.0 Message queued with id [0-9a-f]+\.$`

// ehloCaps is what decides the EHLO reply's capabilities (ehlo.rs:145-290).
type ehloCaps struct {
	host          string
	tls           bool     // the stream is TLS: no STARTTLS
	authenticated bool     // VRFY and EXPN (their defaults); no AUTH
	mechanisms    []string // MtaStageAuth.saslMechanisms now, lower case
	maxSize       int64
	requireTLS    bool
	dsn           bool
	mtPriority    string        // "" when off
	futureRelease time.Duration // -1 when off
	deliverBy     time.Duration // -1 when off
	now           time.Time     // for FUTURERELEASE's date
}

// ehloReply builds the multi-line EHLO answer. By Stalwart's MtaExtensions
// defaults VRFY, EXPN, DSN, FUTURERELEASE (7d), DELIVERBY (15d) and
// MT-PRIORITY (MIXER) are listed only when authenticated; server.extensions
// changes all but VRFY and EXPN. smtp-proto writes the capabilities from
// the highest EXT_ bit down (generate.rs:30-38), which puts AUTH between
// BINARYMIME and 8BITMIME, and the mechanisms from the highest AUTH_ bit down.
func ehloReply(c ehloCaps) []string {
	caps := []string{}
	if c.authenticated {
		caps = append(caps, "VRFY", "EXPN")
	}
	if !c.tls {
		caps = append(caps, "STARTTLS")
	}
	caps = append(caps, "SMTPUTF8", "SIZE "+strconv.FormatInt(c.maxSize, 10))
	if c.requireTLS {
		caps = append(caps, "REQUIRETLS")
	}
	caps = append(caps, "PIPELINING", "NO-SOLICITING")
	if c.mtPriority != "" {
		caps = append(caps, "MT-PRIORITY "+strings.ToUpper(c.mtPriority))
	}
	if c.futureRelease >= 0 {
		secs := int64(c.futureRelease / time.Second)
		caps = append(caps, fmt.Sprintf("FUTURERELEASE %d %d", secs, c.now.Unix()+secs))
	}
	caps = append(caps, "ENHANCEDSTATUSCODES")
	if c.dsn {
		caps = append(caps, "DSN")
	}
	// smtp-proto writes a bare DELIVERBY for a limit under a second.
	if secs := int64(c.deliverBy / time.Second); secs > 0 {
		caps = append(caps, "DELIVERBY "+strconv.FormatInt(secs, 10))
	} else if c.deliverBy >= 0 {
		caps = append(caps, "DELIVERBY")
	}
	caps = append(caps, "CHUNKING", "BINARYMIME")
	if !c.authenticated && len(c.mechanisms) > 0 {
		caps = append(caps, "AUTH "+strings.ToUpper(strings.Join(c.mechanisms, " ")))
	}
	caps = append(caps, "8BITMIME")
	lines := []string{"250-" + c.host + " you had me at EHLO"}
	for i, c := range caps {
		if i == len(caps)-1 {
			lines = append(lines, "250 "+c)
		} else {
			lines = append(lines, "250-"+c)
		}
	}
	return lines
}
