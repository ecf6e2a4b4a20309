package wire

// Action is what a hook tells the MTA to do with the transaction.
type Action string

// The four actions Stalwart accepts, spelled exactly as on the wire.
const (
	ActionAccept     Action = "accept"
	ActionDiscard    Action = "discard"
	ActionReject     Action = "reject"
	ActionQuarantine Action = "quarantine"
)

// Response is a hook's answer as Stalwart parses it. Unknown keys are
// ignored; see ParseResponse for what makes a body invalid.
type Response struct {
	Action        Action
	Reply         *SMTPResponse // the "response" object; nil when absent or null
	Modifications []Modification
}

// SMTPResponse is the optional custom reply of a response. Stalwart uses it
// only for reject, discard and quarantine, and only when both Status and
// Message are set.
type SMTPResponse struct {
	Status         *uint16
	EnhancedStatus *string // wire key "enhanced_status"
	Message        *string
	Disconnect     bool // parsed, never acted on
}

// ModType is a modification's "type", spelled as on the wire.
type ModType string

// The modification types Stalwart accepts. Any other spelling fails the
// whole response.
const (
	ModChangeFrom      ModType = "changeFrom"
	ModAddRecipient    ModType = "addRecipient"
	ModDeleteRecipient ModType = "deleteRecipient"
	ModReplaceContents ModType = "replaceContents"
	ModAddHeader       ModType = "addHeader"
	ModInsertHeader    ModType = "insertHeader"
	ModChangeHeader    ModType = "changeHeader"
	ModDeleteHeader    ModType = "deleteHeader"
)

// Modification is one entry of a response's "modifications". Which fields
// are meaningful depends on Type:
//
//	changeFrom, addRecipient: Value, Parameters
//	deleteRecipient, replaceContents: Value
//	addHeader: Name, Value
//	insertHeader, changeHeader: Index, Name, Value
//	deleteHeader: Index, Name
type Modification struct {
	Type       ModType
	Value      string
	Name       string
	Index      uint32
	Parameters []Parameter // in the order the hook sent them
}

// Parameter is one ESMTP parameter of changeFrom or addRecipient; a nil
// Value is a parameter without "=value".
type Parameter struct {
	Key   string
	Value *string
}
