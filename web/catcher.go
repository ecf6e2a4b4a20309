package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/hooksim/hooksim/store"
)

// messageSummary is one queued message in GET /api/v1/messages and in
// the message events: what a mail catcher's inbox shows.
type messageSummary struct {
	ID      int64     `json:"id"`
	RunID   int64     `json:"run_id"`
	Number  int       `json:"number"`
	Source  string    `json:"source"`
	Time    time.Time `json:"time"`
	QueueID string    `json:"queue_id"`
	From    string    `json:"from"` // "" the null sender
	To      []string  `json:"to"`
	Subject string    `json:"subject"`
	// SubjectText is Subject as a reader sees it: unfolded, its RFC 2047
	// encoded words decoded (UTF-8, ISO-8859-1 and US-ASCII; others are
	// left as they are).
	SubjectText string `json:"subject_text"`
	Size        int64  `json:"size"`
	// EML is where to download the message: as queued when that is kept,
	// else the final message.
	EML   string       `json:"eml"`
	Relay *store.Relay `json:"relay"`
}

func summaryOf(m *store.MessageSummary) messageSummary {
	which := "final"
	if m.Queued {
		which = "queued"
	}
	to := m.To
	if to == nil {
		to = []string{}
	}
	return messageSummary{ID: m.ID, RunID: m.RunID, Number: m.Number, Source: m.Source, Time: m.Time.UTC(),
		QueueID: m.QueueID, From: m.From, To: to, Subject: m.Subject, SubjectText: store.HeaderText(m.Subject), Size: m.Size,
		EML: fmt.Sprintf("/api/v1/runs/%d/messages/%d/eml?which=%s", m.RunID, m.Number, which), Relay: m.Relay}
}

// messagesPage is the answer of GET /api/v1/messages.
type messagesPage struct {
	Messages   []messageSummary `json:"messages"`
	NextBefore int64            `json:"next_before"`
}

// handleMessages answers GET /api/v1/messages: the queued messages of
// every run, newest first, as a mail catcher lists them.
func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.MessageFilter{Source: q.Get("source"), Query: q.Get("q"), Limit: defaultPage}
	switch f.Source {
	case "", store.SourceScript, store.SourceSMTP, store.SourceReplay, store.SourceProxy:
	default:
		writeError(w, http.StatusBadRequest, "source wants script, smtp, replay or proxy")
		return
	}
	if msg := pageParams(q, "an id", map[string]*int64{"before": &f.BeforeID, "run": &f.RunID}, &f.Limit); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	limit := f.Limit
	f.Limit++ // one more tells whether there is a next page
	list, err := s.cfg.Store.ListMessages(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := messagesPage{Messages: []messageSummary{}}
	if len(list) > limit {
		list = list[:limit]
		page.NextBefore = list[limit-1].ID
	}
	for i := range list {
		page.Messages = append(page.Messages, summaryOf(&list[i]))
	}
	writeJSON(w, http.StatusOK, page)
}
