package examplehook

import (
	"bytes"
	"encoding/json"
)

// response is the answer Stalwart parses. Field names and spellings matter:
// Stalwart ignores unknown keys, so a misspelt key is not an error, it is
// silently lost.
type response struct {
	Action string `json:"action"` // "accept", "reject", "discard" or "quarantine"
	// Reply is used only when Action is not "accept", and only when both
	// its status and message are set.
	Reply         *smtpReply     `json:"response,omitempty"`
	Modifications []modification `json:"modifications,omitempty"`
}

// smtpReply is the custom SMTP reply the client hears instead of
// Stalwart's default "503 5.5.3 Message rejected.".
type smtpReply struct {
	Status         int    `json:"status"`
	EnhancedStatus string `json:"enhanced_status"` // snake case, not enhancedStatus
	Message        string `json:"message"`
}

// modification is one change Stalwart applies to the message. Stalwart
// applies modifications only at the data stage; at earlier stages it
// parses and then discards them.
type modification struct {
	Type string `json:"type"`
	// Index counts, from 1, the headers with the same name (not positions
	// in the whole header block). A pointer, because 0 is a valid index
	// for insertHeader and must not vanish under omitempty.
	Index *uint32 `json:"index,omitempty"`
	Name  string  `json:"name,omitempty"`
	Value string  `json:"value"`
}

// The modification types this hook sends, spelled exactly as Stalwart
// expects (case included).
const (
	modAddHeader    = "addHeader"
	modChangeHeader = "changeHeader"
	modAddRecipient = "addRecipient"
)

// The actions this hook sends.
const (
	actionAccept = "accept"
	actionReject = "reject"
)

func accept(mods ...modification) response {
	return response{Action: actionAccept, Modifications: mods}
}

func reject(status int, enhanced, msg string) response {
	return response{Action: actionReject, Reply: &smtpReply{Status: status, EnhancedStatus: enhanced, Message: msg}}
}

func addHeader(name, value string) modification {
	return modification{Type: modAddHeader, Name: name, Value: value}
}

func changeHeader(index uint32, name, value string) modification {
	return modification{Type: modChangeHeader, Index: &index, Name: name, Value: value}
}

func addRecipient(addr string) modification {
	return modification{Type: modAddRecipient, Value: addr}
}

// encode returns the compact JSON of r, without HTML escaping (so "<" in a
// subject stays "<") and without a trailing newline.
func (r response) encode() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
