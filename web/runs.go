package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/recorder/export"
	"github.com/hooksim/hooksim/recorder/replay/compare"
	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/store"
)

// Paging of the runs list.
const (
	defaultPage = 50
	maxPage     = 500
)

// runsPage is the answer of GET /api/v1/runs.
type runsPage struct {
	Runs       []report.Run `json:"runs"`
	NextBefore int64        `json:"next_before"`
}

// pageParams reads a list's paging parameters from q: each id parameter
// named in ids (a non-negative integer, described as what in errors)
// into its destination, and limit (1 to maxPage) into limit when given.
// It returns the error message for a bad value, "" when all are good.
func pageParams(q url.Values, what string, ids map[string]*int64, limit *int) string {
	for name, dst := range ids {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return fmt.Sprintf("%s %q is not %s", name, v, what)
			}
			*dst = n
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > maxPage {
			return fmt.Sprintf("limit wants 1 to %d", maxPage)
		}
		*limit = n
	}
	return ""
}

func (s *Server) handleRuns(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.RunFilter{Session: q.Get("session"), Stage: q.Get("stage"), Action: q.Get("action"), Source: q.Get("source"), Limit: defaultPage}
	switch q.Get("errors") {
	case "", "0", "false":
	case "1", "true":
		f.Errors = true
	default:
		writeError(w, http.StatusBadRequest, "errors wants 1 or 0")
		return
	}
	switch q.Get("drift") {
	case "", "0", "false":
	case "1", "true":
		f.Drift = true
	default:
		writeError(w, http.StatusBadRequest, "drift wants 1 or 0")
		return
	}
	if msg := pageParams(q, "a run id", map[string]*int64{"before": &f.BeforeID}, &f.Limit); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	limit := f.Limit
	f.Limit++ // one more tells whether there is a next page
	runs, err := s.cfg.Store.SearchRuns(r.Context(), f, q.Get("q"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := runsPage{Runs: []report.Run{}}
	if len(runs) > limit {
		runs = runs[:limit]
		page.NextBefore = runs[limit-1].ID
	}
	for i := range runs {
		page.Runs = append(page.Runs, report.StoredRun(&runs[i]))
	}
	writeJSON(w, http.StatusOK, page)
}

// load reads a run for a handler, answering the error itself.
func (s *Server) load(w http.ResponseWriter, r *http.Request) (*recorder.Loaded, bool) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return nil, false
	}
	l, err := recorder.Load(r.Context(), s.cfg.Store, id)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return l, true
}

// handleRun answers GET /api/v1/runs/{id}: the run as one report.Session
// (docs/report.md), the document `hooksim export --as json` holds in its
// "sessions"; with ?bodies=0 without request, response and message bytes
// (what the run page loads).
func (s *Server) handleRun(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	doc, err := report.Stored(r.Context(), s.cfg.Store, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	switch r.URL.Query().Get("bodies") {
	case "", "1", "true":
		writeJSON(w, http.StatusOK, doc)
	case "0", "false":
		writeJSON(w, http.StatusOK, doc.WithoutBodies())
	default:
		writeError(w, http.StatusBadRequest, "bodies wants 1 or 0")
	}
}

// storedExchange reads exchange {seq} of run {id}, answering the error
// itself: 404 for a run or an exchange that does not exist.
func (s *Server) storedExchange(w http.ResponseWriter, r *http.Request) (*store.Exchange, bool) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return nil, false
	}
	seq, ok := pathID(w, r, "seq")
	if !ok {
		return nil, false
	}
	if _, err := s.cfg.Store.GetRun(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	e, err := s.cfg.Store.Exchange(r.Context(), id, int(seq))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("run #%d has no exchange %d", id, seq))
		return nil, false
	} else if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return e, true
}

// findExchange picks exchange {seq} of a loaded run, as the vocabulary
// has it.
func (s *Server) findExchange(w http.ResponseWriter, r *http.Request) (*recorder.Loaded, *report.Exchange, bool) {
	l, ok := s.load(w, r)
	if !ok {
		return nil, nil, false
	}
	seq, ok := pathID(w, r, "seq")
	if !ok {
		return nil, nil, false
	}
	for _, ex := range report.SortedExchanges(l.Report) {
		if int64(ex.Seq) == seq {
			return l, ex, true
		}
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("run #%d has no exchange %d", l.Run.ID, seq))
	return nil, nil, false
}

// handleExchange answers GET /api/v1/runs/{id}/exchanges/{seq}: one
// report.Exchange, bodies included.
func (s *Server) handleExchange(w http.ResponseWriter, r *http.Request) {
	e, ok := s.storedExchange(w, r)
	if !ok {
		return
	}
	v, err := report.StoredExchange(e)
	if err != nil {
		s.fail(w, r, fmt.Errorf("web: run %d: %w", e.RunID, err))
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) handleExchangeRaw(w http.ResponseWriter, r *http.Request) {
	e, ok := s.storedExchange(w, r)
	if !ok {
		return
	}
	var body []byte
	switch part := r.URL.Query().Get("part"); part {
	case "request", "":
		body = e.RequestBody
	case "response":
		body = e.ResponseBody
	default:
		writeError(w, http.StatusBadRequest, "part wants request or response")
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"run-%d-exchange-%d-%s.json\"", e.RunID, e.Seq, orDefault(r.URL.Query().Get("part"), "request")))
	w.Write(body)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) {
	as := r.URL.Query().Get("as")
	if as == "json" {
		s.exportJSON(w, r)
		return
	}
	l, ok := s.load(w, r)
	if !ok {
		return
	}
	var (
		data []byte
		err  error
		name string
		ct   string
	)
	switch as {
	case "session", "":
		data, err = export.Session(l, export.SessionOptions{Lints: r.URL.Query().Get("lints") == "1"})
		name, ct = fmt.Sprintf("run-%d.yaml", l.Run.ID), "text/yaml; charset=utf-8"
		if err != nil {
			writeError(w, http.StatusConflict, err.Error())
			return
		}
	case "curl":
		data = export.Curl(l)
		name, ct = fmt.Sprintf("run-%d.sh", l.Run.ID), "text/x-shellscript; charset=utf-8"
	default:
		writeError(w, http.StatusBadRequest, "as wants session, curl or json")
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", "attachment; filename=\""+name+"\"")
	w.Write(data)
}

// exportJSON answers export?as=json: the run as one report
// (docs/report.md), the same bytes as hooksim export --as json.
func (s *Server) exportJSON(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	doc, err := report.Stored(r.Context(), s.cfg.Store, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data, err := report.Recorded(doc).JSON()
	if err != nil {
		s.fail(w, r, fmt.Errorf("web: export run %d: %w", id, err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"run-%d.json\"", id))
	w.Write(data)
}

// diffAnswer is a comparison as the API shows it.
type diffAnswer struct {
	ReplayRun   int64         `json:"replay_run,omitempty"`
	Equal       bool          `json:"equal"`
	Differences int           `json:"differences"`
	Diff        *compare.Diff `json:"diff"`
	Text        string        `json:"text"`
}

func diffAnswerOf(d *compare.Diff) diffAnswer {
	var b strings.Builder
	d.WriteText(&b)
	return diffAnswer{Equal: d.Equal(), Differences: d.Differences(), Diff: d, Text: b.String()}
}

func (s *Server) handleCompare(w http.ResponseWriter, r *http.Request) {
	var docs [2]*report.Session
	for i, name := range []string{"a", "b"} {
		id, err := strconv.ParseInt(r.URL.Query().Get(name), 10, 64)
		if err != nil || id <= 0 {
			writeError(w, http.StatusBadRequest, "compare wants two run ids: ?a=ID&b=ID")
			return
		}
		if docs[i], err = report.Stored(r.Context(), s.cfg.Store, id); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	d := compare.Sessions(docs[0], docs[1], compare.Options{})
	if d.Session == "" {
		d.Session = docs[0].Name
	}
	writeJSON(w, http.StatusOK, diffAnswerOf(d))
}
