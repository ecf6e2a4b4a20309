package export

import (
	"fmt"
	"strings"
	"time"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/rebuild"
	"github.com/hooksim/hooksim/simulator/wire"
	"github.com/hooksim/hooksim/store"
)

// Rebuilt is the session script a proxied run's requests describe
// (rebuild.Session over its exchanges, in order, with the hook's
// answers), with the expectations its steps keep: for each step that
// made one of the recorded requests, what the hook answered then.
type Rebuilt struct {
	Session *sessions.Session
	Notes   []string
	// Approximate is rebuild.Result.Approximate: played again, the
	// session may not send the very same requests.
	Approximate bool
}

// Proxied rebuilds the session of run l, recorded by hooksim proxy, with
// expectations. The hook it calls is the upstream, at the stages the run
// saw. An error says why the requests do not make a session.
func Proxied(l *recorder.Loaded, o SessionOptions) (*Rebuilt, error) {
	if l.Run.Source != store.SourceProxy {
		return nil, fmt.Errorf("export: run #%d was not recorded by hooksim proxy", l.Run.ID)
	}
	rows := l.ExchangeRows
	reqs := make([]rebuild.Request, len(rows))
	for i := range rows {
		reqs[i] = rebuild.Request{Body: rows[i].RequestBody}
		if rows[i].ErrorClass == "" && rows[i].Status >= 200 && rows[i].Status < 300 {
			reqs[i].Response = rows[i].ResponseBody
		}
	}
	res, err := rebuild.Session(l.Run.SessionName, reqs)
	if err != nil {
		return nil, fmt.Errorf("export: run #%d: %w", l.Run.ID, err)
	}
	byIndex := map[int]*report.Step{}
	for i := range l.Report.Steps {
		byIndex[l.Report.Steps[i].Index] = &l.Report.Steps[i]
	}
	steps := make([]*report.Step, len(res.Session.Steps))
	for i := range rows {
		if i < len(res.StepOf) && res.StepOf[i] >= 0 && res.StepOf[i] < len(steps) {
			if st := byIndex[rows[i].StepIndex]; st != nil && !cancelled(st) {
				steps[res.StepOf[i]] = st
			}
		}
	}
	s := expectSteps(res.Session, steps, l.Report.Transactions, o)
	// Runs of one client address and port share its name: the run number
	// tells their tests apart.
	s.Name = fmt.Sprintf("%s run %d", l.Run.SessionName, l.Run.ID)
	// The upstream hook, at the stages Stalwart called it for.
	stages := hookconf.StageSet{}
	for i := range rows {
		if st := wire.Stage(rows[i].Stage); st.Valid() {
			stages[st] = true
		}
	}
	s.Hooks = nil
	if len(l.Run.Hooks) > 0 {
		if recorded, err := hookconf.ParseRecorded(l.Run.Hooks); err == nil {
			for _, h := range recorded {
				h.Stages = stages
				s.Hooks = append(s.Hooks, hookconf.SessionHook(h))
			}
		}
	}
	return &Rebuilt{Session: s, Notes: res.Notes, Approximate: res.Approximate}, nil
}

// proxiedScript writes Proxied's session as a script.
func proxiedScript(l *recorder.Loaded, o SessionOptions) ([]byte, error) {
	rb, err := Proxied(l, o)
	if err != nil {
		return nil, err
	}
	comment := fmt.Sprintf("Rebuilt by hooksim from run #%d: the requests a real Stalwart sent through hooksim proxy for the SMTP connection %s, %s.\n"+
		"The expectations are what the hook answered then: hooksim test fails where it answers differently.",
		l.Run.ID, l.Run.SessionName, l.Run.Started.UTC().Format(time.RFC3339))
	rb.Notes = append(rb.Notes, "The hook is called at the stages Stalwart called it for in this connection: "+stageNames(rb.Session)+" (give --stages to test others).")
	if len(rb.Notes) > 0 {
		comment += "\nWhat the requests did not tell, and was guessed:\n- " + strings.Join(rb.Notes, "\n- ")
	}
	if hasAuth(rb.Session.Hooks) {
		comment += "\nThe hook's credentials are not in this file: give --bearer/--basic or set HOOKSIM_BEARER / HOOKSIM_BASIC (user:password)."
	}
	if rb.Approximate {
		comment += "\nAPPROXIMATE: played again, this session may not send the very same requests (see above)."
	}
	return sessions.MarshalWith(rb.Session, sessions.MarshalOptions{Comment: comment, MessageFile: o.MessageFile})
}

func stageNames(s *sessions.Session) string {
	var names []string
	for _, h := range s.Hooks {
		names = append(names, h.Stages...)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
