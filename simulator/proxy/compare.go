package proxy

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/internal/jsondoc"
	"github.com/hooksim/hooksim/simulator/rebuild"
	"github.com/hooksim/hooksim/simulator/wire"
)

// Difference is one way a request hooksim would send differs from the
// one Stalwart sent.
type Difference struct {
	// Request is the 1-based number of Stalwart's request in the
	// connection; 0 for a request only hooksim would send.
	Request int
	Stage   wire.Stage
	// Path is the JSON path of the field ("" when a whole request is
	// missing on one side, "{keys}" of an object for its key order).
	Path string
	// Stalwart and Hooksim are the two values, shortened, in JSON ("" when
	// the field or request is absent on that side).
	Stalwart, Hooksim string
	// Why says, for a request hooksim would not send, what its simulator
	// did at that step instead.
	Why string
}

// String renders d on one line.
func (d Difference) String() string {
	where := fmt.Sprintf("request %d (%s)", d.Request, d.Stage)
	if d.Request == 0 {
		where = fmt.Sprintf("a %s request", d.Stage)
	}
	switch {
	case d.Path == "" && d.Hooksim == "" && d.Why != "":
		return where + ": hooksim would not send it (" + d.Why + ")"
	case d.Path == "" && d.Hooksim == "":
		return where + ": hooksim would not send it"
	case d.Path == "" && d.Stalwart == "":
		return where + ": hooksim would send it, Stalwart did not"
	case d.Stalwart == "":
		return fmt.Sprintf("%s %s: Stalwart left it out; hooksim would send %s", where, d.Path, d.Hooksim)
	case d.Hooksim == "":
		return fmt.Sprintf("%s %s: Stalwart sent %s; hooksim would leave it out", where, d.Path, d.Stalwart)
	}
	return fmt.Sprintf("%s %s: Stalwart sent %s; hooksim would send %s", where, d.Path, d.Stalwart, d.Hooksim)
}

// Comparison is what Compare found for one connection.
type Comparison struct {
	// Compared counts Stalwart's requests compared.
	Compared    int
	Differences []Difference
	// Notes are what rebuilding the session guessed
	// (rebuild.Result.Notes).
	Notes []string
}

// Compare plays the SMTP session a connection's requests describe
// (rebuild.Session) in hooksim's simulator, against a loopback hook that
// answers each request with the answer the real hook gave at the same
// stage (in order), and lists every request hooksim sends differently
// from Stalwart: field by field, key order included, the queue id's value
// aside (it is random). client sends the simulator's calls (nil: a new
// one).
func Compare(ctx context.Context, client *hookclient.Client, name string, reqs []rebuild.Request) (*Comparison, error) {
	rb, err := rebuild.Session(name, reqs)
	if err != nil {
		return nil, err
	}
	stageOf := make([]wire.Stage, len(reqs))
	stages := hookconf.StageSet{}
	for i, r := range reqs {
		stageOf[i] = requestStage(r.Body)
		stages[stageOf[i]] = true
	}
	ans := newAnswerer(reqs, stageOf)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy: compare: %w", err)
	}
	srv := &http.Server{Handler: ans, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	hook := &hookconf.Hook{ID: "compare", URL: "http://" + ln.Addr().String() + "/", Enable: hookconf.ConstExpression(true),
		Stages: stages, Timeout: 10 * time.Second, TempFailOnError: true, MaxResponseSize: hookconf.DefaultMaxResponseSize}
	sess := *rb.Session
	sim := simulator.New([]*hookconf.Hook{hook}, nil)
	if client != nil {
		sim.Client.Close()
		sim.Client = client
	} else {
		defer sim.Client.Close()
	}
	res := sim.Play(ctx, &sess)
	if res.Err != nil {
		return nil, fmt.Errorf("proxy: compare: playing the rebuilt session: %w", res.Err)
	}
	diffs := diffRequests(reqs, stageOf, ans.received())
	for i := range diffs {
		d := &diffs[i]
		if d.Path != "" || d.Hooksim != "" || d.Request < 1 || d.Request > len(rb.StepOf) {
			continue
		}
		// A request hooksim did not send: what its step heard instead.
		if k := rb.StepOf[d.Request-1]; k >= 0 && k < len(res.Steps) {
			if r := res.Steps[k].Reply(); r != "" {
				d.Why = fmt.Sprintf("the simulator answered %q at %s", r, describeStep(res.Steps[k]))
			} else if res.Steps[k].NotSent {
				d.Why = "the simulator had closed the connection before " + describeStep(res.Steps[k])
			}
		}
	}
	return &Comparison{Compared: len(reqs), Differences: diffs, Notes: rb.Notes}, nil
}

func describeStep(st *simulator.StepResult) string {
	if st.Command == "" {
		return st.Kind
	}
	return simulator.OneLineCommand(st.Command)
}

func requestStage(body []byte) wire.Stage {
	n, err := jsondoc.Parse(body)
	if err != nil || n.Kind != jsondoc.Object {
		return ""
	}
	if c := n.Get("context"); c != nil && c.Kind == jsondoc.Object {
		if s := c.Get("stage"); s != nil && s.Kind == jsondoc.String {
			return wire.Stage(s.Text)
		}
	}
	return ""
}

// answerer is the loopback hook of a comparison: it answers the n-th
// request at a stage with the real hook's n-th answer at that stage (an
// accept when there is none), and keeps what it received.
type answerer struct {
	mu      sync.Mutex
	answers map[wire.Stage][][]byte
	got     [][]byte
}

func newAnswerer(reqs []rebuild.Request, stageOf []wire.Stage) *answerer {
	a := &answerer{answers: map[wire.Stage][][]byte{}}
	for i, r := range reqs {
		a.answers[stageOf[i]] = append(a.answers[stageOf[i]], r.Response)
	}
	return a
}

func (a *answerer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	stage := requestStage(body)
	a.mu.Lock()
	a.got = append(a.got, body)
	var answer []byte
	if q := a.answers[stage]; len(q) > 0 {
		answer, a.answers[stage] = q[0], q[1:]
	}
	a.mu.Unlock()
	if answer == nil {
		// The real hook failed here (or there was no such request):
		// a failure the simulator treats as Stalwart did.
		http.Error(w, "no recorded answer", http.StatusInternalServerError)
		return
	}
	w.Header().Set("content-type", "application/json")
	w.Write(answer)
}

func (a *answerer) received() [][]byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([][]byte(nil), a.got...)
}

// diffRequests pairs Stalwart's requests with hooksim's by stage and
// order of arrival, and lists their differences.
func diffRequests(real []rebuild.Request, stageOf []wire.Stage, sim [][]byte) []Difference {
	simByStage := map[wire.Stage][][]byte{}
	for _, b := range sim {
		s := requestStage(b)
		simByStage[s] = append(simByStage[s], b)
	}
	var out []Difference
	for i, r := range real {
		s := stageOf[i]
		q := simByStage[s]
		if len(q) == 0 {
			out = append(out, Difference{Request: i + 1, Stage: s, Stalwart: "(sent)"})
			continue
		}
		mine := q[0]
		simByStage[s] = q[1:]
		a, errA := jsondoc.Parse(r.Body)
		b, errB := jsondoc.Parse(mine)
		if errA != nil || errB != nil {
			if string(r.Body) != string(mine) {
				out = append(out, Difference{Request: i + 1, Stage: s, Path: "(body)", Stalwart: short(string(r.Body)), Hooksim: short(string(mine))})
			}
			continue
		}
		d := differ{req: i + 1, stage: s}
		d.walk("", a, b)
		out = append(out, d.out...)
	}
	for _, s := range wire.AllStages {
		for range simByStage[s] {
			out = append(out, Difference{Stage: s, Hooksim: "(sent)"})
		}
	}
	return out
}

type differ struct {
	req   int
	stage wire.Stage
	out   []Difference
}

func (d *differ) add(path, stalwart, hooksim string) {
	d.out = append(d.out, Difference{Request: d.req, Stage: d.stage, Path: path, Stalwart: stalwart, Hooksim: hooksim})
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (d *differ) walk(path string, a, b *jsondoc.Node) {
	if a.Kind != b.Kind {
		d.add(path, render(a), render(b))
		return
	}
	switch a.Kind {
	case jsondoc.Object:
		var ka, kb []string
		for _, m := range a.Members {
			ka = append(ka, m.Key)
			if bv := b.Get(m.Key); bv != nil {
				d.walk(join(path, m.Key), m.Value, bv)
			} else {
				d.add(join(path, m.Key), render(m.Value), "")
			}
		}
		for _, m := range b.Members {
			kb = append(kb, m.Key)
			if a.Get(m.Key) == nil {
				d.add(join(path, m.Key), "", render(m.Value))
			}
		}
		if sameSet(ka, kb) && strings.Join(ka, ",") != strings.Join(kb, ",") {
			d.add(join(path, "{keys}"), strings.Join(ka, ","), strings.Join(kb, ","))
		}
	case jsondoc.Array:
		for i := 0; i < max(len(a.Items), len(b.Items)); i++ {
			p := path + "[" + strconv.Itoa(i) + "]"
			switch {
			case i >= len(a.Items):
				d.add(p, "", render(b.Items[i]))
			case i >= len(b.Items):
				d.add(p, render(a.Items[i]), "")
			default:
				d.walk(p, a.Items[i], b.Items[i])
			}
		}
	default:
		if path == "context.queue.id" {
			return // random on every play
		}
		if a.Text != b.Text || a.Bool != b.Bool {
			d.add(path, render(a), render(b))
		}
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, k := range a {
		seen[k]++
	}
	for _, k := range b {
		seen[k]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

// render is a value for a person: scalars as JSON, containers by kind.
func render(n *jsondoc.Node) string {
	switch n.Kind {
	case jsondoc.Null:
		return "null"
	case jsondoc.Bool:
		return strconv.FormatBool(n.Bool)
	case jsondoc.Number:
		return n.Text
	case jsondoc.String:
		return short(strconv.Quote(n.Text))
	case jsondoc.Array:
		return fmt.Sprintf("an array of %d", len(n.Items))
	}
	return "an object"
}

func short(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// Captured is c's requests with the hook's answers, as Compare and
// rebuild.Session take them: an answer only when the hook's call
// succeeded with a 2xx.
func (c *Connection) Captured() []rebuild.Request {
	out := make([]rebuild.Request, len(c.Requests))
	for i, body := range c.Requests {
		out[i].Body = body
		if i < len(c.Exchanges) {
			if ex := c.Exchanges[i]; ex.Err == nil || ex.Err.Class == hookclient.ErrParse {
				out[i].Response = ex.Call.Body
			}
		}
	}
	return out
}
