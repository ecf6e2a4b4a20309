package recorder

import (
	"context"
	"fmt"

	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/store"
)

// Loaded is a recorded run as show, export, replay and the web read it:
// the run row, its session script, and the run in the one vocabulary.
// Nothing in it goes back through the simulator's types, and no answer is
// parsed again: Report is what report.FromRows makes of the stored rows.
type Loaded struct {
	Run store.Run
	// Session is the script read back from Run.Script (a script or a
	// script archive: sessions.ParseArchive); nil when the run has none
	// or it does not parse (SessionErr says why). Replay plays it again;
	// export writes it with expectations.
	Session    *sessions.Session
	SessionErr error
	// Report is the run in the one vocabulary (report.FromRows): its
	// steps with their exchanges, its transactions, the exchanges no step
	// holds (Unstepped), and Run.
	Report *report.Session
	// ExchangeRows are the run's exchange rows as stored, in sequence
	// order: the wire record (heads, redirects) the vocabulary leaves out,
	// for what re-sends or prints the recorded bytes (curl, raw).
	ExchangeRows []store.Exchange
}

// Load reads run runID from st. A missing run is an error wrapping
// store.ErrNotFound; a lint or envelope column that is not the JSON the
// recorder writes is an error too (report.FromRows). A script that does
// not parse is no error: it is SessionErr.
func Load(ctx context.Context, st *store.Store, runID int64) (*Loaded, error) {
	rows, err := st.ReadRun(ctx, runID)
	if err != nil {
		return nil, err
	}
	run := rows.Run
	doc, err := report.FromRows(run, rows.Steps, rows.Exchanges, rows.Messages)
	if err != nil {
		return nil, err
	}
	l := &Loaded{Run: *run, Report: doc, ExchangeRows: rows.Exchanges}
	if len(run.Script) > 0 {
		s, err := sessions.ParseArchive(run.SessionFile, run.Script)
		if err != nil {
			l.SessionErr = fmt.Errorf("recorder: run %d: session script: %w", runID, err)
		} else {
			l.Session = s
		}
	}
	return l, nil
}
