package web

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/recorder/replay"
	"github.com/hooksim/hooksim/recorder/replay/compare"
	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
	"github.com/hooksim/hooksim/store"
)

// hookSpec is how a request names the hook to call: a URL and the flags
// of hooksim run. Credentials given here reach the hook only: the store
// and every answer see them redacted.
type hookSpec struct {
	URL       string   `json:"url"`
	Stages    []string `json:"stages"`
	TimeoutMS int      `json:"timeout_ms"`
	Bearer    string   `json:"bearer"`
	Basic     string   `json:"basic"`
}

// flagSpec is the form's settings; empty fields keep the recorded ones.
func (h hookSpec) flagSpec() hookconf.FlagSpec {
	spec := hookconf.FlagSpec{URL: h.URL, Stages: h.Stages, Bearer: h.Bearer, Basic: h.Basic}
	if h.TimeoutMS > 0 {
		spec.Timeout = strconv.Itoa(h.TimeoutMS)
	}
	return spec
}

func (h hookSpec) hook() (*hookconf.Hook, error) {
	if err := checkTarget(h.URL); err != nil {
		return nil, err
	}
	return hookconf.FromFlags(h.flagSpec())
}

// checkTarget refuses a URL whose credentials were hidden when recorded
// (a password "xxxxx", a query value "****"): the hook would get the
// markers.
func checkTarget(url string) error {
	if hookconf.HiddenCredentials(url) {
		return fmt.Errorf("the URL %s has credentials hidden when they were recorded (xxxxx, ****): type the real ones, or use the Bearer or Basic fields", url)
	}
	return nil
}

// hooksFor is the chain to play sess against: the hook settings the
// script carries (its `hooks` key), with the form's fields replacing the
// values they name, else the form's hook alone.
func (h hookSpec) hooksFor(sess *sessions.Session) ([]*hookconf.Hook, error) {
	if len(sess.Hooks) == 0 || (h.URL != "" && len(sess.Hooks) > 1) {
		hook, err := h.hook()
		if err != nil {
			return nil, err
		}
		return []*hookconf.Hook{hook}, nil
	}
	out := make([]*hookconf.Hook, 0, len(sess.Hooks))
	for _, sh := range sess.Hooks {
		hook, _, _, err := hookconf.Rebuild(hookconf.SettingsOf(sh), h.flagSpec(), hookconf.MapEnv{})
		if err != nil {
			return nil, err
		}
		out = append(out, hook)
	}
	return out, nil
}

// replayRequest is the body of POST /api/v1/runs/{id}/replay.
type replayRequest struct {
	Mode string `json:"mode"`
	hookSpec
}

func (s *Server) handleReplay(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var req replayRequest
	if !readJSON(w, r, maxJSONBody, &req) {
		return
	}
	mode := compare.Mode(orDefault(req.Mode, string(compare.ModeResimulate)))
	if mode != compare.ModeResimulate && mode != compare.ModeExact {
		writeError(w, http.StatusBadRequest, "mode wants resimulate or exact")
		return
	}
	if req.URL != "" {
		if _, err := req.hook(); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	hooks := replay.Hooks{Spec: req.flagSpec()}
	rec, readOnly := s.rec, s.cfg.Store.ReadOnly()
	if readOnly {
		rec = nil // the answer says it was not recorded
	}
	diff, replayID, err := replay.Run(r.Context(), s.cfg.Store, rec, s.client, id, mode, hooks)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, err)
		return
	} else if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	if readOnly {
		diff.Notes = append(diff.Notes, "not recorded: the history "+s.cfg.Store.Path()+" is read-only (hooksim could not write it)")
	}
	ans := diffAnswerOf(diff)
	ans.ReplayRun = replayID
	writeJSON(w, http.StatusOK, ans)
}

// exchangeReplayAnswer is the answer of POST /api/v1/runs/{id}/exchanges/{seq}/replay:
// the comparison, and the new answer as /api/v1/send shows one.
type exchangeReplayAnswer struct {
	diffAnswer
	Exchange sendAnswer `json:"exchange"`
}

// handleExchangeReplay re-sends one recorded request, byte for byte, to the
// recorded hook (or the URL given) and compares the answer with the
// recorded one. It is not recorded as a run.
func (s *Server) handleExchangeReplay(w http.ResponseWriter, r *http.Request) {
	var spec hookSpec
	if !readJSON(w, r, maxJSONBody, &spec) {
		return
	}
	l, orig, ok := s.findExchange(w, r)
	if !ok {
		return
	}
	if spec.URL != "" {
		if _, err := spec.hook(); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	hooks := replay.Hooks{Spec: spec.flagSpec()}
	ex, d, err := replay.Exchange(r.Context(), s.client, l.Run, orig, hooks)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, exchangeReplayAnswer{diffAnswer: diffAnswerOf(d), Exchange: sendAnswerOf(ex)})
}

// sendRequest is the body of POST /api/v1/send.
type sendRequest struct {
	URL        string      `json:"url"`
	Stage      string      `json:"stage"`
	Body       *string     `json:"body"`
	BodyBase64 *string     `json:"body_base64"`
	Headers    [][2]string `json:"headers"`
	TimeoutMS  int         `json:"timeout_ms"`
	// Bearer and Basic ("user:password") are the hook's credentials;
	// they reach the hook only.
	Bearer string `json:"bearer"`
	Basic  string `json:"basic"`
}

// sendAnswer is the answer of POST /api/v1/send.
type sendAnswer struct {
	Status  int         `json:"status"`
	Headers [][2]string `json:"headers"`
	textOrBase64
	DurationMS float64        `json:"duration_ms"`
	Error      *report.Error  `json:"error"`
	Outcome    string         `json:"outcome"`
	Lints      []report.Lint  `json:"lints"`
	Reply      string         `json:"reply"`
	Parsed     *report.Parsed `json:"parsed"`
}

func (s *Server) handleSend(w http.ResponseWriter, r *http.Request) {
	var req sendRequest
	if !readJSON(w, r, maxScriptBody, &req) {
		return
	}
	stage := wire.Stage(strings.ToLower(req.Stage))
	if !validStage(stage) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("stage %q is not one of connect, ehlo, mail, rcpt, data", req.Stage))
		return
	}
	var body []byte
	switch {
	case req.Body != nil:
		body = []byte(*req.Body)
	case req.BodyBase64 != nil:
		b, err := base64.StdEncoding.DecodeString(*req.BodyBase64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "body_base64 is not base64: "+err.Error())
			return
		}
		body = b
	default:
		writeError(w, http.StatusBadRequest, "send wants a body (or body_base64)")
		return
	}
	if err := checkTarget(req.URL); err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	spec := hookconf.FlagSpec{URL: req.URL, Stages: []string{string(stage)}, Bearer: req.Bearer, Basic: req.Basic}
	if req.TimeoutMS > 0 {
		spec.Timeout = strconv.Itoa(req.TimeoutMS)
	}
	for _, h := range req.Headers {
		spec.Headers = append(spec.Headers, h[0]+": "+h[1])
	}
	hook, err := hookconf.FromFlags(spec)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ex := simulator.CallHook(r.Context(), s.client, hook, stage, body, s.cfg.Now)
	writeJSON(w, http.StatusOK, sendAnswerOf(ex))
}

// sendAnswerOf shows one hook call and what the SMTP client would hear.
func sendAnswerOf(ex *simulator.Exchange) sendAnswer {
	ans := sendAnswer{
		Status: ex.Call.Status, Headers: report.HeaderPairs(ex.Call.ResponseHeaders), textOrBase64: bodyOf(ex.Call.Body),
		DurationMS: report.MS(ex.Call.Duration), Outcome: ex.Outcome, Lints: report.LintsOf(ex.Lints), Parsed: report.ParsedOf(ex.Response),
	}
	if ex.Err != nil {
		ans.Error = &report.Error{Class: string(ex.Err.Class), Message: ex.Err.Message}
		ans.Reply = simulator.ReplyHookTempFail + " (with tempFailOnError; without it the hook is skipped)"
	} else {
		ans.Reply = simulator.StageReply(ex.Stage, ex.Response)
	}
	return ans
}

func validStage(st wire.Stage) bool {
	switch st {
	case wire.StageConnect, wire.StageEhlo, wire.StageMail, wire.StageRcpt, wire.StageData:
		return true
	}
	return false
}

// sessionInfo is one bundled session in the list.
type sessionInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func (s *Server) handleSessions(w http.ResponseWriter, r *http.Request) {
	all, err := sessions.Bundled()
	if err != nil {
		s.fail(w, r, fmt.Errorf("web: bundled sessions: %w", err))
		return
	}
	out := make([]sessionInfo, len(all))
	for i, ss := range all {
		out[i] = sessionInfo{Name: ss.Name, Description: ss.Description}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleSession(w http.ResponseWriter, r *http.Request) {
	src, err := sessions.BundledSource(r.PathValue("name"))
	if err != nil {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(src)
}

// playRequest is the body of POST /api/v1/play.
type playRequest struct {
	Session string `json:"session"`
	Script  string `json:"script"`
	hookSpec
}

// playAnswer is the answer of POST /api/v1/play.
type playAnswer struct {
	Runs []int64 `json:"runs"`
}

// playWait bounds how long POST /api/v1/play waits for its run's row.
const playWait = 10 * time.Second

func (s *Server) handlePlay(w http.ResponseWriter, r *http.Request) {
	var req playRequest
	if !readJSON(w, r, maxScriptBody, &req) {
		return
	}
	var sess *sessions.Session
	var err error
	switch {
	case req.Session != "" && req.Script != "":
		writeError(w, http.StatusBadRequest, "play wants a bundled session or a script, not both")
		return
	case req.Session != "":
		sess, err = sessions.BundledByName(strings.TrimPrefix(req.Session, "bundled:"))
	case req.Script != "":
		sess, err = sessions.Parse("pasted.yaml", []byte(req.Script), nil)
	default:
		writeError(w, http.StatusBadRequest, "play wants a session name or a script")
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	hooks, err := req.hooksFor(sess)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ids, err := s.Play(r.Context(), hooks, []*sessions.Session{sess})
	if errors.Is(err, ErrTooManyPlays) {
		writeError(w, http.StatusTooManyRequests, err.Error())
		return
	} else if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, playAnswer{Runs: ids})
}

// Play plays list one after another against hooks in the background,
// recorded in the server's store, and returns the run IDs once they are
// created; playing goes on, and stops when Serve's context ends. It waits
// for Serve to start. ctx bounds only the wait for the IDs.
func (s *Server) Play(ctx context.Context, hooks []*hookconf.Hook, list []*sessions.Session) ([]int64, error) {
	select {
	case <-s.started:
	case <-ctx.Done():
		return nil, fmt.Errorf("web: play: %w", ctx.Err())
	}
	s.mu.Lock()
	baseCtx := s.runCtx
	if baseCtx == nil || baseCtx.Err() != nil {
		s.mu.Unlock()
		return nil, errors.New("web: play: the server is not serving")
	}
	select {
	case s.playSlots <- struct{}{}:
	default:
		s.mu.Unlock()
		return nil, ErrTooManyPlays
	}
	s.bg.Add(1)
	s.mu.Unlock()
	// Each play's handle comes back as it begins; its RunID waits for the
	// run's row.
	plays := make(chan *recorder.Play, len(list))
	obs := simulator.ObserverFunc(func(ctx context.Context, info *simulator.SessionInfo) simulator.Play {
		p := s.rec.BeginPlay(ctx, info)
		plays <- p
		return p
	})
	sim := &simulator.Simulator{Hooks: hooks, Client: s.client, Observer: obs, Origin: simulator.Origin{Source: simulator.SourceScript}}
	go func() {
		defer s.bg.Done()
		defer func() { <-s.playSlots }()
		for _, sess := range list {
			if res := sim.Play(baseCtx, sess); res.Err != nil && baseCtx.Err() != nil {
				return
			}
		}
	}()
	var out []int64
	var begun []*recorder.Play // begun, run ID not yet read
	timer := time.NewTimer(playWait)
	defer timer.Stop()
	for len(out) < len(list) {
		var recorded <-chan struct{}
		if len(begun) > 0 {
			recorded = begun[0].Recorded()
		}
		select {
		case p := <-plays:
			begun = append(begun, p)
		case <-recorded:
			id := begun[0].RunID()
			begun = begun[1:]
			if id == 0 {
				return out, errors.New("web: play: the run could not be recorded")
			}
			out = append(out, id)
		case <-ctx.Done():
			return out, fmt.Errorf("web: play: %w", ctx.Err())
		case <-timer.C:
			return out, errors.New("web: play: the runs were not recorded in time")
		}
	}
	return out, nil
}

// pruneRequest is the body of POST /api/v1/prune.
type pruneRequest struct {
	OlderThan string `json:"older_than"`
}

func (s *Server) handlePrune(w http.ResponseWriter, r *http.Request) {
	var req pruneRequest
	if !readJSON(w, r, maxJSONBody, &req) {
		return
	}
	age, err := parseAge(req.OlderThan)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	n, err := s.cfg.Store.Prune(r.Context(), s.cfg.Now().Add(-age))
	if errors.Is(err, store.ErrRecording) {
		writeError(w, http.StatusConflict, err.Error())
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int64{"deleted": n})
}

// parseAge reads "7d", "36h", "90m" as a duration.
func parseAge(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err == nil && days >= 0 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return d, nil
	}
	return 0, fmt.Errorf("older_than %q is not an age (want e.g. 7d, 36h, 90m)", v)
}

// ErrTooManyPlays: Play refused, MaxPlays plays are in progress.
var ErrTooManyPlays = errors.New("web: play: too many plays in progress; wait for one to end")
