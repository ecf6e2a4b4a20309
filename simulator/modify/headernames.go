package modify

// headerKind tells how mail-parser parses a header value. Only the date
// parser ends a value somewhere else than the generic rule (see scanDate).
type headerKind uint8

const (
	kindOther headerKind = iota // not a name mail-parser knows (HeaderName::Other)
	kindKnown                   // a known name, value ends at the first unfolded line end
	kindDate                    // Date, Resent-Date: parsed by the date parser
)

// maxHeaderNameKey is the size of mail-parser's buffer for the lower-cased
// header name: only that many non-whitespace bytes take part in the lookup.
const maxHeaderNameKey = 30

// lookupHeaderName returns the kind of a header whose name, with whitespace
// removed and ASCII lower-cased, is key. The list is mail-parser's
// header_map (src/parsers/header.rs); every other name is HeaderName::Other.
func lookupHeaderName(key []byte) headerKind {
	switch string(key) {
	case "date", "resent-date":
		return kindDate
	case "arc-authentication-results",
		"arc-seal",
		"arc-message-signature",
		"bcc",
		"cc",
		"comments",
		"content-description",
		"content-disposition",
		"content-id",
		"content-language",
		"content-location",
		"content-transfer-encoding",
		"content-type",
		"dkim-signature",
		"dkim2-signature",
		"from",
		"in-reply-to",
		"keywords",
		"list-archive",
		"list-help",
		"list-id",
		"list-owner",
		"list-post",
		"list-subscribe",
		"list-unsubscribe",
		"message-id",
		"message-instance",
		"mime-version",
		"received",
		"references",
		"reply-to",
		"resent-bcc",
		"resent-cc",
		"resent-from",
		"resent-message-id",
		"resent-sender",
		"resent-to",
		"return-path",
		"sender",
		"subject",
		"to":
		return kindKnown
	}
	return kindOther
}
