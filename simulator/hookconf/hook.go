// Package hookconf reads hook configurations (Stalwart 0.16 MtaHook JSON,
// 0.15 TOML, command-line shortcuts) into resolved Hooks, and evaluates
// their enable expressions.
package hookconf

import (
	"time"

	"github.com/hooksim/hooksim/simulator/wire"
)

// Defaults of Stalwart's MtaHook object (v0.16).
const (
	DefaultTimeout         = 30 * time.Second
	DefaultMaxResponseSize = 52428800
)

// Hook is one configured MTA Hook, resolved and ready to call: secrets are
// read, the enable expression compiled, defaults filled in.
type Hook struct {
	// ID names the hook in transcripts and reports: the TOML id, the
	// position in a JSON list ("hook-1"), or the URL's host.
	ID                string
	URL               string
	Enable            Expression // never nil; constant true by default
	Stages            StageSet
	AllowInvalidCerts bool
	HTTPHeaders       []HeaderField // in configuration order
	Timeout           time.Duration
	TempFailOnError   bool
	MaxResponseSize   int64
	Auth              HTTPAuth
	// Source says where the hook was defined ("hooks.json:3"), for errors.
	Source string
}

// StageSet is the set of stages a hook runs at.
type StageSet map[wire.Stage]bool

// HeaderField is one HTTP header line, kept in order.
type HeaderField struct {
	Name  string
	Value string
}

// AuthKind is the "@type" of httpAuth.
type AuthKind string

// The httpAuth variants of Stalwart's MtaHook.
const (
	AuthNone   AuthKind = "Unauthenticated"
	AuthBasic  AuthKind = "Basic"
	AuthBearer AuthKind = "Bearer"
)

// HTTPAuth is a hook's resolved credentials. Secret holds the Basic
// password or the Bearer token after resolving Value, EnvironmentVariable
// or File; it must never be written to a report, a store or a screen.
type HTTPAuth struct {
	Kind     AuthKind
	Username string
	Secret   string
}

// Expression is a compiled `enable` expression, evaluated at each stage
// just before the call. Stalwart's truth rules apply; an evaluation error
// means false.
type Expression interface {
	Enabled(vars *ExprVars) bool
	// String returns the expression as configured, for transcripts.
	String() string
}

// ExprVars are the session variables an `enable` expression can read
// (PROTOCOL.md §7). Strings are empty when unknown.
type ExprVars struct {
	Sender          string // lower-cased envelope sender
	SenderDomain    string
	Recipients      []string // lower-cased, accepted so far (plus the current one at rcpt)
	Rcpt            string   // the last recipient
	RcptDomain      string
	AuthenticatedAs string
	Listener        string
	RemoteIP        string
	RemotePort      uint16
	LocalIP         string
	LocalPort       uint16
	Protocol        string // "smtp"
	IsTLS           bool
	Priority        int
	HeloDomain      string
	ASN             int
	Country         string
}
