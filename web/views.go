package web

import (
	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/store"
)

// The API answers in recorder/report's vocabulary (docs/report.md); the
// helpers below pick what a page or an event needs.

// exchangeOfRow is a stored exchange as the event stream carries it:
// without its bodies (the exchange endpoint has them). A lint column that
// does not decode is shown as no lints rather than losing the event.
func exchangeOfRow(e *store.Exchange) report.Exchange {
	v, err := report.StoredExchange(e)
	if err != nil {
		row := *e
		row.Lints = nil
		v, _ = report.StoredExchange(&row)
	}
	return v.WithoutBodies()
}
