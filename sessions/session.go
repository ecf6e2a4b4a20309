// Package sessions reads session scripts: YAML descriptions of one SMTP
// conversation (client, server, steps, expectations) that the simulator
// plays against a hook. Scripts are validated with file:line errors, and
// the bundled examples are embedded in the binary.
package sessions

import "regexp"

// Session is one parsed and normalised script, ready to play: every stage
// the script left out has been filled with a valid default.
type Session struct {
	Name        string // from the script, else the file name without extension
	Description string
	File        string // path as given, or "bundled:NAME" for embedded ones
	Client      Client
	Server      Server
	// Hooks are the settings of the hooks the script was recorded with
	// (the optional top-level `hooks`); nil when the script names none.
	Hooks []Hook
	// NoImply (the script's `imply: false`) plays the steps exactly as
	// written: no EHLO, MAIL, RCPT or QUIT is added where the script
	// leaves them out (a connect still opens the session). Sessions
	// captured from a live SMTP client use it, so that a command the
	// client sent in its own spelling (a raw step) is not doubled.
	NoImply bool
	Steps   []Step
	// Hash is the hex SHA-256 of the script's bytes, for recording.
	Hash string

	// origin is what Parse read, for Archive; nil for a Session built
	// otherwise.
	origin *origin
}

// Client is the connecting SMTP client.
type Client struct {
	IP   string // default "192.0.2.25"
	Port uint16 // default 49152
	PTR  string // first PTR name; empty means reverse DNS found nothing (null)
	// IPRev is the outcome of Stalwart's reverse-IP check at the first
	// MAIL FROM: pass, fail (a PTR name that does not confirm), permerror,
	// temperror or none. The PTR name is sent whenever there is one. Empty:
	// pass with a PTR, permerror without.
	IPRev string
	// TLS describes the TLS the client negotiates: with Implicit set the
	// connection is TLS from connect on (port 465); otherwise TLS starts
	// only at a starttls step.
	TLS *TLS
}

// TLS is the negotiated TLS version and cipher, as Stalwart spells them.
type TLS struct {
	Version  string // "TLSv1.3" by default
	Cipher   string // "TLS13_AES_256_GCM_SHA384" by default
	Implicit bool
}

// Server is the simulated Stalwart listener.
type Server struct {
	Hostname string // in SMTP replies; default "mx.example.org"
	// Name is what context.server.name says; empty means DefaultServerName.
	Name string
	// ReverseIPVerify is Stalwart's reverseIpVerify policy: relaxed,
	// strict or disable; empty means its default, relaxed on port 25 and
	// disable on every other port.
	ReverseIPVerify string
	// MaxReceivedHeaders is Stalwart's maxReceivedHeaders: a message with
	// more Received headers is refused (450 4.4.6); 0 means its default, 50.
	MaxReceivedHeaders int
	// MaxMessageSize (bytes), MaxRecipients and MaxMessages (per session)
	// are Stalwart's maxMessageSize, maxRecipients and maxMessages; 0
	// means its defaults (104857600, 100, 10).
	MaxMessageSize int64
	MaxRecipients  int
	MaxMessages    int
	// Ehlo, Auth and Rcpt are the settings of Stalwart's MtaStageEhlo,
	// MtaStageAuth and MtaStageRcpt (server.ehlo, server.auth,
	// server.rcpt); their zero values mean Stalwart's defaults.
	Ehlo EhloSettings `json:",omitzero"`
	Auth AuthSettings `json:",omitzero"`
	Rcpt RcptSettings `json:",omitzero"`
	IP   string       // default "192.0.2.10"
	Port uint16       // default 25; 465 implies implicit TLS, 587 submission
	// LocalDomains are the domains the server accepts mail for without
	// authentication (others get 550 5.1.2 Relay not allowed). When a
	// script names none, the domains of its rcpt steps are used, so a
	// script never fails on relaying by accident.
	LocalDomains []string

	// AddHeaders are the settings for the headers Stalwart writes in
	// front of a message it queues.
	AddHeaders AddHeaders `json:",omitzero"`
	// Extensions are Stalwart's MtaExtensions settings for MAIL and RCPT
	// parameters (dsn, requireTls, deliverBy, mtPriority, futureRelease);
	// the zero value is Stalwart's defaults.
	Extensions Extensions `json:",omitzero"`
}

// AddHeaders are Stalwart's MtaStageData settings addReceivedHeader,
// addReceivedSpfHeader, addAuthResultsHeader, addReturnPathHeader,
// addDateHeader and addMessageIdHeader (expressions in Stalwart, true or
// false here). A nil field means Stalwart's default, `local_port == 25`:
// on for port 25, off on every other port (registry
// structs_impl.rs:28623-28668).
type AddHeaders struct {
	Received    *bool `json:",omitempty"`
	ReceivedSPF *bool `json:",omitempty"`
	AuthResults *bool `json:",omitempty"`
	ReturnPath  *bool `json:",omitempty"`
	Date        *bool `json:",omitempty"`
	MessageID   *bool `json:",omitempty"`
}

// Settings pairs each field of a with its Stalwart name, in the order
// Stalwart writes the headers.
func (a *AddHeaders) Settings() []AddHeaderSetting {
	return []AddHeaderSetting{
		{"addReceivedHeader", &a.Received},
		{"addAuthResultsHeader", &a.AuthResults},
		{"addReceivedSpfHeader", &a.ReceivedSPF},
		{"addReturnPathHeader", &a.ReturnPath},
		{"addDateHeader", &a.Date},
		{"addMessageIdHeader", &a.MessageID},
	}
}

// AddHeaderSetting is one add*Header setting: its Stalwart name and the
// field that holds it.
type AddHeaderSetting struct {
	Name  string
	Value **bool
}

// StepKind is what the client does in one step.
type StepKind string

// The step kinds of a session script.
const (
	StepConnect  StepKind = "connect"
	StepHelo     StepKind = "helo"
	StepEhlo     StepKind = "ehlo"
	StepStartTLS StepKind = "starttls"
	StepAuth     StepKind = "auth"
	StepMail     StepKind = "mail"
	StepRcpt     StepKind = "rcpt"
	StepData     StepKind = "data"
	// StepBdat sends the message with BDAT chunks (CHUNKING, RFC 3030):
	// Chunks are the sizes of the chunks before the last, which carries
	// the rest with LAST. The message is sent as is: no dot-stuffing, and
	// its final CRLF is part of it.
	StepBdat StepKind = "bdat"
	StepRset StepKind = "rset"
	StepNoop StepKind = "noop"
	StepQuit StepKind = "quit"
	// StepRaw sends Arg as one command line, verbatim.
	StepRaw StepKind = "raw"
)

// IsMessage reports the steps that send a message: data and bdat.
func (k StepKind) IsMessage() bool { return k == StepData || k == StepBdat }

// Step is one client action with what the script expects of it.
type Step struct {
	Kind StepKind
	// Arg is the HELO/EHLO name, the MAIL or RCPT address as written
	// between the brackets (empty for the null sender), or the raw line.
	Arg string
	// Params are the ESMTP parameters after the address ("SIZE=100 BODY=8BITMIME").
	Params string
	// Login and Password are the credentials of an auth step; AuthFail
	// makes the server reject them (535).
	Login    string
	Password string
	AuthFail bool
	// Mechanism is the auth step's SASL mechanism, lower case (plain,
	// login, xoauth2, oauthbearer); empty means plain.
	Mechanism string
	// Prompted: the auth step's AUTH line carries no initial response;
	// the server prompts for it ("334 ") and the client sends it on a
	// line of its own (plain, xoauth2, oauthbearer; LOGIN always does).
	Prompted bool
	// Addresses are the e-mail addresses of the authenticated account,
	// lower case, for Stalwart's mustMatchSender check. Nil: the login
	// when it is an address, and every address whose local part is the
	// login (john owns john@example.org).
	Addresses []string
	// Message is the data or bdat step's message.
	Message *Message
	// Chunks are a bdat step's chunk sizes before the LAST chunk.
	Chunks []int
	// Expect holds the step's expectations; nil when none.
	Expect *Expect
	// Line is the step's line in the script, for error messages.
	Line int
	// Implied is true for steps the normaliser added.
	Implied bool
}

// Message is the message of a data step, as the client sends it before
// dot-stuffing: CRLF line endings, no terminating dot.
type Message struct {
	Raw    []byte
	Source string // the .eml path, or "inline"
	// Warnings are the MIME problems enmime found but could live with
	// (and, with lenient: true, the severe ones too), in its wording.
	Warnings []string
}

// Expect is what a step must produce. Zero fields are not checked.
type Expect struct {
	// Action is the action of the last hook called at this step, or
	// "error" for a hook error, or "none" when no hook was called.
	Action string
	// Reply is the exact SMTP reply line without CRLF; Code its code;
	// ReplyMatch a regular expression over the reply line.
	Reply      string
	Code       int
	ReplyMatch *regexp.Regexp
	// Modifications that the hooks' answers at this step must contain, in order.
	Modifications []ExpectModification
	// Envelope after the step (for data: after modifications).
	Envelope *ExpectEnvelope
	// Delivered: the message was queued (true) or dropped/refused (false).
	Delivered *bool
	// Headers of the final message (as the hooks left it), by name: every
	// occurrence, a count, a pattern, or absence (see ExpectHeader).
	Headers []ExpectHeader
	// QueuedHeaders are the same checks on the message as queued: the
	// server's own headers (Received, Authentication-Results, ...) in
	// front of the final message.
	QueuedHeaders []ExpectHeader
	// BodyContains are substrings of the final message body.
	BodyContains []string
	// Lints are lint codes that must be reported at this step.
	Lints []string
	Line  int
}

// ExpectModification is a modification the hook must have returned.
// Empty fields match anything; Index is checked when non-nil.
//
// Parameters (changeFrom and addRecipient only) are the ESMTP parameters
// the modification must carry: keyword to value, a nil value being a
// keyword without "=value". nil is not checked; non-nil, even empty, must
// be exactly the parameters the hook sent. Keywords compare
// case-insensitively (ASCII): Stalwart reads the hook's "parameters" into
// a map keeping the keys as sent, but then flattens them to
// "KEY=VALUE ..." and parses that with smtp-proto, which upper-cases
// keywords (crates/smtp/src/inbound/hooks/message.rs flatten_parameters,
// milter/message.rs), so NOTIFY and notify act alike. Values compare
// exactly, and "" is not null ("KEY=" is not "KEY").
type ExpectModification struct {
	Type       string
	Name       string
	Value      string
	Index      *uint32
	Parameters map[string]*string
}

// ExpectEnvelope is the expected envelope; nil From is not checked, and
// neither is a nil To (an empty, non-nil To expects no recipients). A From
// of "" is the null sender.
type ExpectEnvelope struct {
	From *string
	To   []string
}

// ExpectHeader is what a step expects of one header name of the final
// message (names compare case-insensitively; values are compared unfolded,
// RFC 5322 §2.2.3, and trimmed). Exactly one of the forms is set:
//
//   - Absent: the header must not occur (`Name: null`, or `count: 0`);
//   - Values: every occurrence, in order, so the count is len(Values)
//     (`Name: value` is one occurrence, `Name: [a, b]` two);
//   - Count and/or Matches: the number of occurrences, and a regular
//     expression every occurrence must match (at least one must occur).
type ExpectHeader struct {
	Name    string
	Values  []string
	Absent  bool
	Count   *int
	Matches *regexp.Regexp
	Line    int
}
