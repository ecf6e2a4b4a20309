package examplehook

import (
	"io"
	"strings"
)

// Options configures the example hook. The zero value is ready to use.
type Options struct {
	// Log receives one line per request: the stage, the decision and, at
	// the data stage, the spam score. Nil means quiet. Writes are
	// serialised, so any io.Writer will do.
	Log io.Writer
	// BlockedDomains are the sender domains rejected at the mail stage,
	// compared case-insensitively. Nil means DefaultBlockedDomains.
	BlockedDomains []string
	// ArchiveAddress is the recipient added to every accepted message.
	// Empty means DefaultArchiveAddress.
	ArchiveAddress string
}

// DefaultArchiveAddress is the archive recipient used when
// Options.ArchiveAddress is empty.
const DefaultArchiveAddress = "archive@example.org"

// DefaultBlockedDomains returns the sender domains blocked when
// Options.BlockedDomains is nil. It is a function so that callers cannot
// change a shared slice.
func DefaultBlockedDomains() []string {
	return []string{"blocked.example"}
}

// withDefaults returns a copy of o with defaults filled in and domains
// normalised to lower case without a leading "@".
func (o Options) withDefaults() Options {
	if o.BlockedDomains == nil {
		o.BlockedDomains = DefaultBlockedDomains()
	}
	domains := make([]string, 0, len(o.BlockedDomains))
	for _, d := range o.BlockedDomains {
		d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
		if d != "" {
			domains = append(domains, d)
		}
	}
	o.BlockedDomains = domains
	if o.ArchiveAddress == "" {
		o.ArchiveAddress = DefaultArchiveAddress
	}
	return o
}
