package examplehook

// request is the part of Stalwart's hook request this hook reads. Stalwart
// sends much more (client address, TLS, server, queue id...); encoding/json
// simply skips the keys a struct does not name.
type request struct {
	Context struct {
		Stage string `json:"stage"` // "connect", "ehlo", "mail", "rcpt" or "data"
	} `json:"context"`
	// Envelope is absent until MAIL FROM succeeded. Stalwart lower-cases
	// the addresses and sends the null sender <> as "".
	Envelope *envelope `json:"envelope"`
	// Message is present at the data stage only.
	Message *message `json:"message"`
}

type envelope struct {
	From address   `json:"from"`
	To   []address `json:"to"` // at the rcpt stage the current recipient is last
}

type address struct {
	Address string `json:"address"`
}

// message is the data-stage message. Each header is a [name, value] pair
// with the value exactly as received: leading space, folded lines and the
// trailing CRLF included. Contents is the raw body, not transfer-decoded.
type message struct {
	Headers  [][2]string `json:"headers"`
	Contents string      `json:"contents"`
	Size     int         `json:"size"`
}

// The stage names Stalwart sends in context.stage.
const (
	stageConnect = "connect"
	stageEhlo    = "ehlo"
	stageMail    = "mail"
	stageRcpt    = "rcpt"
	stageData    = "data"
)
