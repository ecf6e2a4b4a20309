package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/modify"
	"github.com/hooksim/hooksim/simulator/rebuild"
	"github.com/hooksim/hooksim/simulator/wire"
)

// Connection is one SMTP connection as the proxy saw it: the requests
// Stalwart sent for the same client address and port (and server), from
// the first one to the data stage or an idle gap.
type Connection struct {
	// Name is "client-ip:port", the run's session name.
	Name string
	// Play is the observer's handle for it.
	Play simulator.Play
	// Started is when its first request arrived.
	Started time.Time
	// Requests are the request bodies received, in order; Exchanges and
	// Steps what was recorded for each.
	Requests  [][]byte
	Exchanges []*simulator.Exchange
	Steps     []*simulator.StepResult
	// Drift counts its drift findings.
	Drift int
	// Why says why its play ended: "data stage", "idle", "new
	// connection", "the proxy stopped".
	Why string

	key     string
	checker Checker
	last    atomic.Int64 // unix ns of its last request; read by the reaper
	tx      int          // the current transaction's number
	ended   bool
	results []*simulator.TransactionResult
}

// tracker groups requests into connections.
type tracker struct {
	p     *Proxy
	mu    sync.Mutex
	conns map[string]*Connection
	// lock serializes the requests of one connection: a Play's events
	// come from one goroutine at a time, in order.
	locks map[string]*keyLock
	// checkers are the request checkers of the SMTP connections seen, by
	// key: a connection's transactions are runs of their own, but its
	// rules (queue ids differ, TLS and login stay) span them. Guarded by
	// mu; dropped with a new connect, or an idle gap.
	checkers map[string]*checkerEntry
	// odd numbers the requests that are no MTA Hook requests.
	odd atomic.Int64
	// admitted is held for reading by every request from its arrival until
	// it is recorded, and for writing by Close, which so waits for them;
	// closed (under it) drops what comes later.
	admitted sync.RWMutex
	closed   bool
}

func newTracker(p *Proxy) *tracker {
	return &tracker{p: p, conns: map[string]*Connection{}, locks: map[string]*keyLock{}, checkers: map[string]*checkerEntry{}}
}

// checkerEntry is a connection's checker and when it last saw a request
// (unix ns).
type checkerEntry struct {
	c    Checker
	last atomic.Int64
}

// checkerFor is the checker of the SMTP connection key: a new one at a
// connect stage or for a connection not seen before, else the one its
// earlier transactions used.
func (t *tracker) checkerFor(key string, stage wire.Stage, at time.Time) Checker {
	if t.p.cfg.Checker == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.checkers[key]
	if e == nil || stage == wire.StageConnect {
		e = &checkerEntry{c: t.p.cfg.Checker()}
		t.checkers[key] = e
	}
	e.last.Store(at.UnixNano())
	return e.c
}

// keyPeek is what the tracker reads of a request's context to group it.
type keyPeek struct {
	Client struct {
		IP   any `json:"ip"`
		Port any `json:"port"`
	} `json:"client"`
	Server struct {
		IP   any `json:"ip"`
		Port any `json:"port"`
	} `json:"server"`
}

// peek is what the tracker reads of a request body to record it.
type peek struct {
	Context struct {
		Stage  any `json:"stage"`
		Client struct {
			IP   any `json:"ip"`
			Port any `json:"port"`
			HELO any `json:"helo"`
		} `json:"client"`
		Queue struct {
			ID any `json:"id"`
		} `json:"queue"`
	} `json:"context"`
	Envelope *struct {
		From struct {
			Address any `json:"address"`
		} `json:"from"`
		To []struct {
			Address any `json:"address"`
		} `json:"to"`
	} `json:"envelope"`
	Message *struct {
		Headers  [][]any `json:"headers"`
		Contents any     `json:"contents"`
		Size     any     `json:"size"`
	} `json:"message"`
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// keyOf groups a request: the client's address and port and the
// server's. A body that is no MTA Hook request gets a key of its own.
func keyOf(pk *keyPeek, ok bool, seq int64) (key, name string) {
	if !ok || pk.Client.IP == nil {
		name = fmt.Sprintf("request-%d", seq)
		return "#" + name, name
	}
	c, s := pk.Client, pk.Server
	name = hostPort(str(c.IP), str(c.Port))
	return name + "|" + hostPort(str(s.IP), str(s.Port)), name
}

func hostPort(ip, port string) string {
	for i := 0; i < len(ip); i++ {
		if ip[i] == ':' {
			return "[" + ip + "]:" + port
		}
	}
	return ip + ":" + port
}

// hold takes the lock of the connection req belongs to and returns the
// function that records the exchange in its play and releases it.
//
// The request was admitted (admit) when it arrived.
func (t *tracker) hold(req *Request, res *hookclient.CallResult, resp *Response) func() {
	var ck struct {
		Context keyPeek `json:"context"`
	}
	parsed := json.Unmarshal(req.Body, &ck) == nil
	key, name := keyOf(&ck.Context, parsed, t.odd.Add(1))
	// Two hooks behind one proxy (Stalwart calls each at its own URL)
	// make a run each.
	path, _, _ := strings.Cut(req.Target, "?")
	key += "|" + path
	lock := t.acquire(key)
	return func() {
		defer t.admitted.RUnlock()
		defer t.release(key, lock)
		t.record(key, name, parsed, req, res, resp)
	}
}

// admit lets a request that arrived be recorded, unless the proxy is
// closed; a request admitted is recorded before Close returns.
func (t *tracker) admit() bool {
	t.admitted.RLock()
	if t.closed {
		t.admitted.RUnlock()
		return false
	}
	return true
}

// record tells the observer about one proxied exchange, in its
// connection's play; the connection's lock is held.
func (t *tracker) record(key, name string, parsed bool, req *Request, res *hookclient.CallResult, resp *Response) {
	var pk peek
	if parsed {
		parsed = json.Unmarshal(req.Body, &pk) == nil
	}
	stage := wire.Stage(str(pk.Context.Stage))
	c := t.open(key, name, stage, req)
	ev := c.add(t.p, req, res, resp, &pk, stage)
	if t.p.cfg.OnExchange != nil {
		t.p.cfg.OnExchange(ev)
	}
	switch {
	case !parsed:
		t.end(c, "not an MTA Hook request")
	case stage == wire.StageData:
		t.end(c, "data stage")
	case ev.Step.Closed:
		t.end(c, "the hook's answer at connect closes the connection")
	}
}

// keyLock serializes the requests of one SMTP connection (a Play's
// events come from one goroutine at a time, in order). refs counts those
// holding or waiting for it, under tracker.mu: it leaves the map when
// none does, so every request of a key that overlaps another gets the
// same lock.
type keyLock struct {
	mu   sync.Mutex
	refs int
}

// acquire locks key's lock, waiting for whoever holds it.
func (t *tracker) acquire(key string) *keyLock {
	t.mu.Lock()
	l := t.locks[key]
	if l == nil {
		l = &keyLock{}
		t.locks[key] = l
	}
	l.refs++
	t.mu.Unlock()
	l.mu.Lock()
	return l
}

// release unlocks key's lock, and forgets it when nobody else wants it.
func (t *tracker) release(key string, l *keyLock) {
	l.mu.Unlock()
	t.mu.Lock()
	if l.refs--; l.refs == 0 && t.locks[key] == l {
		delete(t.locks, key)
	}
	t.mu.Unlock()
}

// open returns the connection key's request belongs to, beginning a new
// play when there is none or a connect stage starts a new connection.
func (t *tracker) open(key, name string, stage wire.Stage, req *Request) *Connection {
	at := req.Received
	t.mu.Lock()
	c := t.conns[key]
	t.mu.Unlock()
	if c != nil && stage == wire.StageConnect && len(c.Requests) > 0 {
		t.end(c, "new connection")
		c = nil
	}
	if c != nil {
		return c
	}
	c = &Connection{Name: name, Started: at, key: key}
	c.last.Store(at.UnixNano())
	c.checker = t.checkerFor(key, stage, at)
	info := &simulator.SessionInfo{Name: name, File: "proxy to " + hookconf.RedactURL(t.p.upstream.String()), Started: at, Hooks: []*hookconf.Hook{t.p.runHook(req)},
		Origin: simulator.Origin{Source: simulator.SourceProxy}}
	c.Play = simulator.Begin(context.Background(), t.p.cfg.Observer, info)
	t.mu.Lock()
	t.conns[key] = c
	t.mu.Unlock()
	return c
}

// end finishes c's play; its lock is held.
func (t *tracker) end(c *Connection, why string) {
	t.mu.Lock()
	if c.ended {
		t.mu.Unlock()
		return
	}
	c.ended = true
	if t.conns[c.key] == c {
		// Its lock lives while a request holds or waits for it (the
		// connection's next transaction may already be waiting).
		delete(t.conns, c.key)
	}
	if e := t.checkers[c.key]; e != nil {
		e.last.Store(c.last.Load()) // the idle gap counts from its last request
	}
	t.mu.Unlock()
	c.Why = why
	exchanges := 0
	for _, st := range c.Steps {
		exchanges += len(st.Exchanges)
	}
	res := &simulator.SessionResult{Name: c.Name, Steps: c.Steps, Transactions: c.results, Exchanges: exchanges,
		Started: c.Started, Duration: time.Unix(0, c.last.Load()).Sub(c.Started)}
	c.Play.Finish(res)
	if t.p.cfg.OnConnection != nil {
		t.p.cfg.OnConnection(c)
	}
}

// reap ends the plays of connections idle for the idle gap, until ctx
// ends.
func (t *tracker) reap(ctx context.Context) {
	gap := t.p.cfg.IdleGap
	tick := time.NewTicker(min(gap/4, time.Second))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			t.mu.Lock()
			var idle []*Connection
			for _, c := range t.conns {
				if now.Sub(time.Unix(0, c.last.Load())) >= gap {
					idle = append(idle, c)
				}
			}
			for key, e := range t.checkers {
				if t.conns[key] == nil && now.Sub(time.Unix(0, e.last.Load())) >= gap {
					delete(t.checkers, key)
				}
			}
			t.mu.Unlock()
			for _, c := range idle {
				l := t.acquire(c.key)
				if now.Sub(time.Unix(0, c.last.Load())) >= gap {
					t.end(c, "idle")
				}
				t.release(c.key, l)
			}
		}
	}
}

// closeAll ends every open play.
func (t *tracker) closeAll(why string) {
	t.mu.Lock()
	var all []*Connection
	for _, c := range t.conns {
		all = append(all, c)
	}
	t.mu.Unlock()
	for _, c := range all {
		l := t.acquire(c.key)
		t.end(c, why)
		t.release(c.key, l)
	}
}

// add records one exchange of c as a step of its own.
func (c *Connection) add(p *Proxy, req *Request, res *hookclient.CallResult, resp *Response, pk *peek, stage wire.Stage) *Event {
	c.last.Store(time.Now().UnixNano())
	c.Requests = append(c.Requests, req.Body)
	secrets := append(requestSecrets(req.Fields, p.cfg.SecretHeaders), querySecrets(req.Target)...)
	ex := &simulator.Exchange{Session: c.Name, Seq: len(c.Exchanges) + 1, StepIndex: len(c.Steps), Stage: stage,
		HookID: "upstream", URL: hookconf.RedactURL(p.Target(req.Target)), Started: req.Received, Request: req.Body}
	// What Stalwart sent (the upstream got the same, Host aside), with
	// credentials hidden; what the hook answered, as received.
	call := *res
	call.Proto = req.Proto
	call.RequestHeaders = hookclient.RedactHeaders(req.Fields, secrets...)
	call.RequestHead = hookclient.RedactHead(req.Head, secrets...)
	call.ResponseHeaders = hookclient.RedactHeaders(res.ResponseHeaders, secrets...)
	call.ResponseHead = hookclient.RedactHead(res.ResponseHead, secrets...)
	call.Duration = time.Since(req.Received)
	ex.RequestHdrs = call.RequestHeaders
	ex.Redacted = true
	if call.Err != nil && call.Err.Class == hookclient.ErrCanceled {
		// The MTA closed the connection (or reset the stream) before the
		// hook answered: to Stalwart that is its own timeout.
		call.Err = &hookclient.HookError{Class: hookclient.ErrTimeout, Message: "Stalwart gave up before the hook answered (its MtaHook timeout is shorter than the proxy's --timeout, or it stopped); it answers as for a timeout"}
	}
	ex.Err = call.Err
	ex.Call = call
	if ex.Err != nil && ex.Err.Class == hookclient.ErrHTTPStatus {
		ex.Lints = []wire.Lint{simulator.StatusLint(call.Status, call.Body)}
	}
	if ex.Err == nil {
		r, lints, err := wire.Inspect(call.Body, stage)
		ex.Lints = wire.CompactLints(lints)
		if err != nil {
			ex.Err = &hookclient.HookError{Class: hookclient.ErrParse, Message: "Failed to parse Hook response: " + err.Error()}
		} else {
			ex.Response = r
		}
	}
	ex.Outcome = "error"
	if ex.Err == nil {
		ex.Outcome = string(ex.Response.Action)
	}
	var drift []wire.Lint
	if c.checker != nil {
		_, drift = c.checker.Check(req.Body)
		if req.Proto != "" {
			drift = append(drift, c.checker.CheckHeaders(req.Proto, wireHeaders(req.Fields))...)
		}
		drift = wire.CompactLints(drift)
		c.Drift += len(drift)
		ex.Lints = append(drift, ex.Lints...)
	}

	// The transaction: a mail stage starts one, or the first envelope
	// seen (a capture without the mail stage). Not a new sender: a
	// rewrite rule changes it after the mail hook (mail.rs).
	if pk.Envelope != nil && (stage == wire.StageMail || c.tx == 0) {
		c.tx++
	}
	ex.Transaction = c.tx

	st := &simulator.StepResult{Session: c.Name, Index: len(c.Steps), Kind: string(stage), Command: command(stage, pk),
		Exchanges: []*simulator.Exchange{ex}, Action: ex.Outcome, Transaction: c.tx, Lints: ex.Lints}
	if !stage.Valid() {
		st.Kind = "raw"
	}
	tempFail := func(string) bool { return p.cfg.TempFailOnError }
	if reply, stopped := simulator.ChainReply([]*simulator.Exchange{ex}, tempFail); stopped {
		st.Replies = []string{reply}
		// At connect, the reply replaces the greeting, whatever it is,
		// and Stalwart closes the connection (start_session).
		st.Closed = stage == wire.StageConnect
	} else if r := acceptReply(stage, pk); r != "" {
		st.Replies = []string{r}
	}
	var tx *simulator.TransactionResult
	if stage == wire.StageData && pk.Message != nil {
		tx = transaction(c.tx, pk, ex, st.Reply())
		st.Message = fmt.Sprintf("<message, %d bytes>", len(tx.Original))
		c.results = append(c.results, tx)
	}
	c.Exchanges = append(c.Exchanges, ex)
	c.Steps = append(c.Steps, st)
	c.Play.Exchange(ex)
	if tx != nil {
		c.Play.Transaction(tx)
	}
	c.Play.Step(st)
	return &Event{Conn: c, Exchange: ex, Step: st, Drift: drift}
}

func wireHeaders(fields []hookconf.HeaderField) []wire.Header {
	out := make([]wire.Header, len(fields))
	for i, f := range fields {
		out[i] = wire.Header{Name: f.Name, Value: f.Value}
	}
	return out
}

// command is the SMTP command the request stands for, as far as it
// tells.
func command(stage wire.Stage, pk *peek) string {
	switch stage {
	case wire.StageConnect:
		return ""
	case wire.StageEhlo:
		return "EHLO " + str(pk.Context.Client.HELO)
	case wire.StageMail:
		if pk.Envelope != nil {
			return "MAIL FROM:<" + str(pk.Envelope.From.Address) + ">"
		}
	case wire.StageRcpt:
		if pk.Envelope != nil && len(pk.Envelope.To) > 0 {
			return "RCPT TO:<" + str(pk.Envelope.To[len(pk.Envelope.To)-1].Address) + ">"
		}
	case wire.StageData:
		return "DATA"
	}
	return ""
}

// acceptReply is the reply after an accepting hook, where the request
// tells it: at connect and ehlo it names the server's host, which the
// request does not carry.
func acceptReply(stage wire.Stage, pk *peek) string {
	switch stage {
	case wire.StageMail:
		return simulator.ReplyMailOK
	case wire.StageRcpt:
		return simulator.ReplyRcptOK
	case wire.StageData:
		if id := str(pk.Context.Queue.ID); id != "" {
			return simulator.ReplyQueued(id)
		}
	}
	return ""
}

// transaction is the data stage's message as the request carries it,
// and as the hook's modifications leave it when it accepted.
func transaction(n int, pk *peek, ex *simulator.Exchange, reply string) *simulator.TransactionResult {
	// The bytes Stalwart received, as far as the request tells them: the
	// blank line (CRLF, LF or none) that gives message.size.
	var headers []wire.Header
	for _, h := range pk.Message.Headers {
		if len(h) == 2 {
			headers = append(headers, wire.Header{Name: str(h[0]), Value: str(h[1])})
		}
	}
	size, _ := strconv.ParseInt(str(pk.Message.Size), 10, 64)
	raw, _ := rebuild.Message(headers, str(pk.Message.Contents), size)
	env := modify.Envelope{}
	view := simulator.EnvelopeView{}
	if pk.Envelope != nil {
		from := str(pk.Envelope.From.Address)
		env.From = &modify.Address{Address: from, Lower: from}
		view.From = &from
		for _, to := range pk.Envelope.To {
			a := str(to.Address)
			env.To = append(env.To, modify.Address{Address: a, Lower: a})
			view.To = append(view.To, a)
		}
	}
	tx := &simulator.TransactionResult{Number: n, QueueID: str(pk.Context.Queue.ID), Original: raw, EnvelopeIn: view, EnvelopeOut: view, Reply: reply}
	if ex.Response != nil && ex.Response.Action == wire.ActionAccept {
		tx.Delivered = true
		tx.Final = raw
		if len(ex.Response.Modifications) > 0 {
			res := modify.Apply(modify.Split(raw), env, ex.Response.Modifications)
			if res.Raw != nil {
				tx.Final = res.Raw
			}
			out := simulator.EnvelopeView{To: []string{}}
			if res.Envelope.From != nil {
				f := res.Envelope.From.Address
				out.From = &f
			}
			for _, a := range res.Envelope.To {
				out.To = append(out.To, a.Address)
			}
			tx.EnvelopeOut = out
		}
	}
	return tx
}

// requestSecrets are the credential values of a request's fields:
// Authorization's (whole, and its token), the SensitiveHeader ones and
// those named in names.
func requestSecrets(fields []hookconf.HeaderField, names []string) []string {
	var out []string
	for _, f := range fields {
		secret := hookconf.SensitiveHeader(f.Name)
		for _, n := range names {
			if strings.EqualFold(n, f.Name) {
				secret = true
			}
		}
		// A secret of fewer than hookconf.MinSecretLen bytes is hidden
		// only in its own field: hiding every "1" of the record would
		// garble it.
		if !secret || len(f.Value) < hookconf.MinSecretLen {
			continue
		}
		out = append(out, f.Value)
		if _, tok, ok := strings.Cut(f.Value, " "); ok && len(tok) >= hookconf.MinSecretLen {
			out = append(out, tok)
		}
	}
	return out
}

// whyStopped is Connection.Why for a play the proxy's Close ended.
const whyStopped = "the proxy stopped"

// querySecrets are the values of the parameters of a request target's
// query whose names say they hold a credential (hookconf.RedactURL hides
// them in URLs): they are hidden in the recorded head too.
func querySecrets(target string) []string {
	_, q, ok := strings.Cut(target, "?")
	if !ok {
		return nil
	}
	var out []string
	for _, p := range strings.Split(q, "&") {
		k, v, ok := strings.Cut(p, "=")
		if !ok || v == "" {
			continue
		}
		if name, err := url.QueryUnescape(k); err == nil && hookconf.SensitiveHeader(name) && len(v) >= hookconf.MinSecretLen {
			out = append(out, v)
		}
	}
	return out
}
