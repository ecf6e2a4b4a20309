package compare

import (
	"github.com/hooksim/hooksim/simulator/wire"
)

// Options tunes a comparison.
type Options struct {
	// IgnoreLints leaves lints out of the comparison and of the report.
	IgnoreLints bool
	// IgnoreLatency leaves durations out of the report. Latency never
	// counts as a difference; without this flag a change is only noted.
	IgnoreLatency bool
}

// Mode says how the two plays were made.
type Mode string

// The two replay modes of hooksim replay.
const (
	// ModeResimulate: the session was played again; later stages saw the
	// new answers.
	ModeResimulate Mode = "resimulate"
	// ModeExact: the recorded request bytes were sent again.
	ModeExact Mode = "exact"
)

// Status is how one item of the before play relates to the after play.
type Status string

// The statuses of exchanges, steps and transactions.
const (
	StatusSame    Status = "same"    // present in both, no difference
	StatusChanged Status = "changed" // present in both, with differences
	StatusMissing Status = "missing" // only in the before play
	StatusNew     Status = "new"     // only in the after play
)

// Change is one value in the before and the after play, rendered as text.
type Change struct {
	Before string `json:"before"`
	After  string `json:"after"`
}

// Changed reports whether the two values differ.
func (c Change) Changed() bool { return c.Before != c.After }

// Diff is the comparison of two plays of a session (or of two sets of
// exchanges in exact mode). Exchanges, Steps and Transactions hold every
// item of both plays, the unchanged ones included, in play order.
type Diff struct {
	Session         string `json:"session"`
	Mode            Mode   `json:"mode"`
	BeforeExchanges int    `json:"before_exchanges"`
	AfterExchanges  int    `json:"after_exchanges"`
	// Err is the simulator's own failure (a cancelled context), "" when
	// the play finished.
	Err Change `json:"error"`
	// Notes say how the two plays were made when that changes what can
	// be compared (a replay calling the hook at other stages).
	Notes        []string          `json:"notes,omitempty"`
	Exchanges    []ExchangeDiff    `json:"exchanges"`
	Steps        []StepDiff        `json:"steps,omitempty"`
	Transactions []TransactionDiff `json:"transactions,omitempty"`
}

// Equal reports whether the two plays mean the same to an SMTP client and
// to the message queued.
func (d *Diff) Equal() bool { return d.Differences() == 0 && !d.Err.Changed() }

// Differences counts the changed, missing and new exchanges and
// transactions, plus the changed steps that no exchange difference at the
// same step explains (a reply changed by something other than a hook).
func (d *Diff) Differences() int {
	n := 0
	perStep := map[int]bool{}
	for i := range d.Exchanges {
		if d.Exchanges[i].Status != StatusSame {
			n++
			perStep[d.Exchanges[i].Key.StepIndex] = true
		}
	}
	for i := range d.Steps {
		if d.Steps[i].Status != StatusSame && !perStep[d.Steps[i].Index] {
			n++
		}
	}
	for i := range d.Transactions {
		if d.Transactions[i].Status != StatusSame {
			n++
		}
	}
	return n
}

// ExchangeKey identifies an exchange across two plays: the n-th call
// (1-based) to HookID at Stage during step StepIndex.
type ExchangeKey struct {
	StepIndex int        `json:"step"`
	Stage     wire.Stage `json:"stage"`
	HookID    string     `json:"hook"`
	N         int        `json:"n"`
}

// ExchangeDiff compares one exchange of the two plays. For a missing or
// new exchange, only the side that exists is filled in the Changes.
type ExchangeDiff struct {
	Key       ExchangeKey `json:"key"`
	Status    Status      `json:"status"`
	BeforeSeq int         `json:"before_seq,omitempty"` // 0 when missing
	AfterSeq  int         `json:"after_seq,omitempty"`  // 0 when new
	// Outcome is accept, reject, discard, quarantine or error.
	Outcome Change `json:"outcome"`
	// Effect is what an error did: tempfail, skipped or "".
	Effect Change `json:"effect"`
	// ErrorClass is the hookclient error class, "" without an error.
	ErrorClass Change `json:"error_class"`
	// Reply is the SMTP reply: in resimulate mode the final reply of the
	// step for its last exchange ("" for the others), in exact mode the
	// reply the answer alone leads to. Queue ids are masked.
	Reply Change `json:"reply"`
	// Modifications lists both plays' modifications in canonical order
	// (see the package doc) as a unified diff.
	Modifications []Line `json:"modifications,omitempty"`
	// ModsReordered: the same modifications, in an order that changes
	// the result.
	ModsReordered bool        `json:"mods_reordered,omitempty"`
	LintsAdded    []wire.Lint `json:"lints_added,omitempty"`
	LintsRemoved  []wire.Lint `json:"lints_removed,omitempty"`
	// Notes are informational differences that do not count.
	Notes []string `json:"notes,omitempty"`
	// Latency is each call's duration (never a difference); empty with
	// Options.IgnoreLatency.
	Latency Change `json:"latency"`
}

// Equal reports whether the exchange means the same in both plays.
func (e *ExchangeDiff) Equal() bool { return e.Status == StatusSame }

// ModsChanged reports whether the canonical modification lists differ.
func (e *ExchangeDiff) ModsChanged() bool { return linesChanged(e.Modifications) }

// StepDiff compares one step of the session.
type StepDiff struct {
	Index   int    `json:"index"`
	Kind    string `json:"kind"`
	Command string `json:"command"`
	Line    int    `json:"line,omitempty"`
	Status  Status `json:"status"`
	// Replies are every reply line of the step, queue ids masked.
	Replies []Line `json:"replies,omitempty"`
	Closed  Change `json:"closed"`
	// LintsAdded and LintsRemoved are the step's lints that come from no
	// exchange (notes about applying modifications).
	LintsAdded   []wire.Lint `json:"lints_added,omitempty"`
	LintsRemoved []wire.Lint `json:"lints_removed,omitempty"`
}

// RepliesChanged reports whether the step's reply lines differ.
func (s *StepDiff) RepliesChanged() bool { return linesChanged(s.Replies) }

// TransactionDiff compares one DATA transaction, matched by number.
type TransactionDiff struct {
	Number    int    `json:"number"`
	Status    Status `json:"status"`
	Delivered Change `json:"delivered"` // "yes" or "no"
	Reply     Change `json:"reply"`     // queue id masked
	From      Change `json:"from"`      // envelope sender after the hooks
	// To is the set of envelope recipients after the hooks, sorted.
	To Change `json:"to"`
	// Final summarises the final message ("(none)" when not queued, else
	// its size and hash); Message is its line diff when both exist.
	Final   Change   `json:"final"`
	Message []Hunk   `json:"message,omitempty"`
	Notes   []string `json:"notes,omitempty"`
}
