package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/recorder/export"
	"github.com/hooksim/hooksim/recorder/replay/compare"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/store"
)

// Paging of the runs list.
const (
	defaultPage = 50
	maxPage     = 500
)

// runsPage is the answer of GET /api/v1/runs.
type runsPage struct {
	Runs       []runView `json:"runs"`
	NextBefore int64     `json:"next_before"`
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
	for name, dst := range map[string]*int64{"before": &f.BeforeID} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("%s %q is not a run id", name, v))
				return
			}
			*dst = n
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > maxPage {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit wants 1 to %d", maxPage))
			return
		}
		f.Limit = n
	}
	limit := f.Limit
	f.Limit++ // one more tells whether there is a next page
	runs, err := s.cfg.Store.SearchRuns(r.Context(), f, q.Get("q"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := runsPage{Runs: []runView{}}
	if len(runs) > limit {
		runs = runs[:limit]
		page.NextBefore = runs[limit-1].ID
	}
	for i := range runs {
		page.Runs = append(page.Runs, runViewOf(&runs[i]))
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

// runDetail is the answer of GET /api/v1/runs/{id}.
type runDetail struct {
	Run          runView         `json:"run"`
	Hooks        json.RawMessage `json:"hooks"`
	Steps        []stepView      `json:"steps"`
	Transactions []txView        `json:"transactions"`
}

func detailOf(l *recorder.Loaded) runDetail {
	d := runDetail{Run: runViewOf(&l.Run), Hooks: json.RawMessage("[]"), Steps: []stepView{}, Transactions: []txView{}}
	if json.Valid(l.Run.Hooks) && len(bytes.TrimSpace(l.Run.Hooks)) > 0 {
		d.Hooks = l.Run.Hooks // redacted by the recorder: the store never has a secret
	}
	for _, st := range l.Result.Steps {
		d.Steps = append(d.Steps, stepViewOf(st))
	}
	for _, tx := range l.Result.Transactions {
		d.Transactions = append(d.Transactions, txViewOf(tx))
	}
	return d
}

func (s *Server) handleRun(w http.ResponseWriter, r *http.Request) {
	l, ok := s.load(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, detailOf(l))
}

// exchangeDetail is the answer of GET /api/v1/runs/{id}/exchanges/{seq}.
type exchangeDetail struct {
	exchangeSummary
	Request  requestView  `json:"request"`
	Response responseView `json:"response"`
	Parsed   *parsedView  `json:"parsed"`
	Reply    string       `json:"reply"`
}

type requestView struct {
	Headers [][2]string `json:"headers"`
	textOrBase64
}

type responseView struct {
	Status  int         `json:"status"`
	Headers [][2]string `json:"headers"`
	textOrBase64
}

// findExchange picks exchange {seq} of a loaded run and its step.
func (s *Server) findExchange(w http.ResponseWriter, r *http.Request) (*recorder.Loaded, *simulator.Exchange, bool) {
	l, ok := s.load(w, r)
	if !ok {
		return nil, nil, false
	}
	seq, ok := pathID(w, r, "seq")
	if !ok {
		return nil, nil, false
	}
	for _, ex := range l.Exchanges {
		if int64(ex.Seq) == seq {
			return l, ex, true
		}
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("run #%d has no exchange %d", l.Run.ID, seq))
	return nil, nil, false
}

func fieldPairs(h []hookconf.HeaderField) [][2]string {
	out := make([][2]string, len(h))
	for i, f := range h {
		out[i] = [2]string{f.Name, f.Value}
	}
	return out
}

func (s *Server) handleExchange(w http.ResponseWriter, r *http.Request) {
	l, ex, ok := s.findExchange(w, r)
	if !ok {
		return
	}
	d := exchangeDetail{
		exchangeSummary: summaryOf(ex),
		Request:         requestView{Headers: fieldPairs(ex.RequestHdrs), textOrBase64: bodyOf(ex.Request)},
		Response:        responseView{Status: ex.Call.Status, Headers: fieldPairs(ex.Call.ResponseHeaders), textOrBase64: bodyOf(ex.Call.Body)},
		Parsed:          parsedOf(ex.Response),
	}
	for _, st := range l.Result.Steps {
		if st.Index == ex.StepIndex {
			d.Reply = st.Reply()
		}
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) handleExchangeRaw(w http.ResponseWriter, r *http.Request) {
	l, ex, ok := s.findExchange(w, r)
	if !ok {
		return
	}
	var body []byte
	switch part := r.URL.Query().Get("part"); part {
	case "request", "":
		body = ex.Request
	case "response":
		body = ex.Call.Body
	default:
		writeError(w, http.StatusBadRequest, "part wants request or response")
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"run-%d-exchange-%d-%s.json\"", l.Run.ID, ex.Seq, orDefault(r.URL.Query().Get("part"), "request")))
	w.Write(body)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) {
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
	switch as := r.URL.Query().Get("as"); as {
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
	case "json":
		data, err = json.MarshalIndent(fullExport(l), "", "  ")
		if err != nil {
			s.fail(w, r, fmt.Errorf("web: export run %d: %w", l.Run.ID, err))
			return
		}
		name, ct = fmt.Sprintf("run-%d.json", l.Run.ID), "application/json"
	default:
		writeError(w, http.StatusBadRequest, "as wants session, curl or json")
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", "attachment; filename=\""+name+"\"")
	w.Write(data)
}

// fullExport is a run with every exchange in full, for as=json.
func fullExport(l *recorder.Loaded) any {
	d := detailOf(l)
	var exs []exchangeDetail
	for _, ex := range l.Exchanges {
		exs = append(exs, exchangeDetail{
			exchangeSummary: summaryOf(ex),
			Request:         requestView{Headers: fieldPairs(ex.RequestHdrs), textOrBase64: bodyOf(ex.Request)},
			Response:        responseView{Status: ex.Call.Status, Headers: fieldPairs(ex.Call.ResponseHeaders), textOrBase64: bodyOf(ex.Call.Body)},
			Parsed:          parsedOf(ex.Response),
		})
	}
	return struct {
		runDetail
		Exchanges []exchangeDetail `json:"exchanges"`
	}{d, exs}
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
	var ls [2]*recorder.Loaded
	for i, name := range []string{"a", "b"} {
		id, err := strconv.ParseInt(r.URL.Query().Get(name), 10, 64)
		if err != nil || id <= 0 {
			writeError(w, http.StatusBadRequest, "compare wants two run ids: ?a=ID&b=ID")
			return
		}
		if ls[i], err = recorder.Load(r.Context(), s.cfg.Store, id); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	d := compare.Sessions(ls[0].Result, ls[1].Result, compare.Options{})
	if d.Session == "" {
		d.Session = ls[0].Run.SessionName
	}
	writeJSON(w, http.StatusOK, diffAnswerOf(d))
}
