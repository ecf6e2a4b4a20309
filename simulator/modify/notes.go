package modify

import (
	"fmt"
	"strings"
)

// Note is an observation for a hook author about one modification: it was
// applied (or ignored) as Stalwart does, but probably not as meant. Notes
// are not errors.
type Note struct {
	Mod  int    // index into the modifications given to Apply
	Code string // one of the Note* constants
	Text string // one plain sentence for a person
}

// The note codes Apply uses.
const (
	// NoteDeleteRecipientNoMatch: a deleteRecipient removed nothing.
	NoteDeleteRecipientNoMatch = "delete-recipient-no-match"
	// NoteDeleteRecipientCase: a deleteRecipient value has upper-case
	// letters, so it can never match Stalwart's lower-cased addresses.
	NoteDeleteRecipientCase = "delete-recipient-case"
	// NoteAddRecipientNoAt: an addRecipient without "@" was ignored.
	NoteAddRecipientNoAt = "add-recipient-no-at"
	// NoteAddRecipientDuplicate: an addRecipient named a recipient that
	// was already there (compared lower-cased) and was ignored.
	NoteAddRecipientDuplicate = "add-recipient-duplicate"
	// NoteHeaderIndexZero: a changeHeader or deleteHeader with index 0,
	// which does nothing (indexes are 1-based).
	NoteHeaderIndexZero = "header-index-zero"
	// NoteHeaderIndexOutOfRange: the index is beyond the number of headers
	// of that name: change and delete do nothing, insert goes before the
	// last one (or to the top when there is none).
	NoteHeaderIndexOutOfRange = "header-index-out-of-range"
	// NoteHeaderCRLF: a CR or LF inside a header name, or inside a value
	// other than a final line end or a folding line break, which injects
	// lines into the message.
	NoteHeaderCRLF = "header-crlf"
	// NoteChangeHeaderAbsent: a changeHeader on a name that the original
	// message does not have acts as addHeader.
	NoteChangeHeaderAbsent = "change-header-absent"
	// NoteReplaceContentsMultiple: several replaceContents concatenate.
	NoteReplaceContentsMultiple = "replace-contents-multiple"
)

// notes collects notes while Apply runs.
type notes []Note

func (n *notes) add(mod int, code, format string, args ...any) {
	*n = append(*n, Note{Mod: mod, Code: code, Text: fmt.Sprintf(format, args...)})
}

// headerInjects reports whether a header name or value carries a line
// break that starts a new line of its own: any CR or LF in the name; in the
// value, any CR or LF except one final line end ("\r\n" or "\n") and
// folding breaks (a line end followed by a space or a tab).
func headerInjects(name, value string) bool {
	if strings.ContainsAny(name, "\r\n") {
		return true
	}
	v := value
	if s, ok := strings.CutSuffix(v, "\r\n"); ok {
		v = s
	} else if s, ok := strings.CutSuffix(v, "\n"); ok {
		v = s
	}
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\r':
			if i+1 < len(v) && v[i+1] == '\n' {
				i++
			} else {
				return true
			}
			fallthrough
		case '\n':
			if i+1 >= len(v) || (v[i+1] != ' ' && v[i+1] != '\t') {
				return true
			}
		}
	}
	return false
}
