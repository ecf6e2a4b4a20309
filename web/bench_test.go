package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
	"github.com/hooksim/hooksim/store"
)

// playSynthetic reports one session of n exchanges (one per step) to obs,
// pacing them at perSecond when it is above 0.
func playSynthetic(ctx context.Context, obs simulator.Observer, name string, n, perSecond int) {
	started := time.Now()
	play := obs.Begin(ctx, &simulator.SessionInfo{Name: name, File: name + ".yaml", Hash: "h", Started: started})
	res := &simulator.SessionResult{Name: name, File: name + ".yaml", Started: started}
	req := []byte(`{"context":{"stage":"rcpt","client":{"ip":"10.0.0.1","port":51234,"ptr":null,"helo":"x","activeConnections":1}}}`)
	for seq := 1; seq <= n; seq++ {
		if perSecond > 0 {
			if d := time.Until(started.Add(time.Duration(seq) * time.Second / time.Duration(perSecond))); d > 0 {
				time.Sleep(d)
			}
		}
		ex := &simulator.Exchange{
			Session: name, Seq: seq, StepIndex: seq - 1, Stage: wire.StageRcpt, HookID: "h", URL: "http://127.0.0.1:1/",
			Started: time.Now(), Request: req,
			RequestHdrs: []hookconf.HeaderField{{Name: "content-type", Value: "application/json"}},
			Call: hookclient.CallResult{Status: 200, Body: []byte(`{"action":"accept"}`), Duration: time.Millisecond,
				ResponseHeaders: []hookconf.HeaderField{{Name: "Content-Type", Value: "application/json"}}},
			Outcome: "accept",
		}
		play.Exchange(ex)
		st := &simulator.StepResult{Session: name, Index: seq - 1, Kind: "rcpt", Command: "RCPT TO:<a@b>",
			Replies: []string{"250 2.1.5 OK"}, Exchanges: []*simulator.Exchange{ex}, Action: "accept"}
		res.Steps = append(res.Steps, st)
		play.Step(st)
	}
	res.Exchanges = n
	res.Duration = time.Since(started)
	play.Finish(res)
}

// watchers connects n websocket clients that count exchange events and
// note when each one arrived.
type watchers struct {
	wg       sync.WaitGroup
	conns    []*websocket.Conn
	counts   []atomic.Int64
	resets   atomic.Int64
	mu       sync.Mutex
	arrivals []time.Time // every exchange event's arrival, all clients
}

func watch(b *testing.B, ts *testServer, n int) *watchers {
	w := &watchers{counts: make([]atomic.Int64, n)}
	for i := 0; i < n; i++ {
		c := ts.dial(b, -1)
		w.conns = append(w.conns, c)
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for {
				_, msg, err := c.ReadMessage()
				if err != nil {
					return
				}
				var ev struct {
					Type string `json:"type"`
				}
				json.Unmarshal(msg, &ev)
				switch ev.Type {
				case evExchange:
					w.counts[i].Add(1)
					w.mu.Lock()
					w.arrivals = append(w.arrivals, time.Now())
					w.mu.Unlock()
				case evReset:
					w.resets.Add(1)
				}
			}
		}()
	}
	return w
}

// waitAll waits until every client has counted want exchanges.
func (w *watchers) waitAll(want int64, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		ok := true
		for i := range w.counts {
			if w.counts[i].Load() < want {
				ok = false
			}
		}
		if ok {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

func (w *watchers) close() {
	for _, c := range w.conns {
		c.Close()
	}
	w.wg.Wait()
}

// BenchmarkFanout is the recorder's own rate: exchanges reported and
// committed per second by a recorder as `hooksim run` in a terminal
// uses it, measured
//
//   - alone: no web view anywhere;
//   - paced-no-web: while another recorder writes 1,000 exchanges per
//     second to another database, without any web view (the control for
//     the next one);
//   - fanout-1000/s: while the web view tails a database that another
//     recorder fills at 1,000 exchanges per second and streams every one
//     of them to 10 websocket clients (the scenario; the ratio of
//     its rate to alone's is logged);
//   - saturated: while the web view tails the measured recorder's own
//     database and streams everything it writes to 10 clients, as fast
//     as it writes (far above 1,000 per second).
//
// Every client must get every exchange.
func BenchmarkFanout(b *testing.B) {
	const clients = 10
	rate := map[string]float64{}
	for _, mode := range []string{"alone", "paced-no-web", "fanout-1000/s", "saturated"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			dbPath := filepath.Join(b.TempDir(), "hooksim.db")
			var ts *testServer
			var w *watchers
			var paced sync.WaitGroup
			stopPaced := make(chan struct{})
			var pacedSent atomic.Int64
			switch mode {
			case "saturated":
				ts = startServer(b, func(c *Config) { c.EventBuffer = 1 << 16 })
				dbPath = ts.dbPath
				w = watch(b, ts, clients)
			case "fanout-1000/s", "paced-no-web":
				pacedDB := filepath.Join(b.TempDir(), "paced.db")
				if mode == "fanout-1000/s" {
					ts = startServer(b, func(c *Config) { c.EventBuffer = 1 << 16 })
					w = watch(b, ts, clients)
					pacedDB = ts.dbPath
				}
				pst, err := store.Open(ctx, pacedDB)
				if err != nil {
					b.Fatal(err)
				}
				prec := recorder.New(pst, recorder.Options{})
				paced.Add(1)
				go func() {
					defer paced.Done()
					defer pst.Close()
					defer prec.Close()
					for {
						select {
						case <-stopPaced:
							return
						default:
						}
						playSynthetic(ctx, prec, "paced", 100, 1000)
						pacedSent.Add(100)
					}
				}()
				time.Sleep(300 * time.Millisecond) // let the stream reach its pace
			}
			st, err := store.Open(ctx, dbPath)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			rec := recorder.New(st, recorder.Options{})
			b.ResetTimer()
			start := time.Now()
			playSynthetic(ctx, rec, "bench", b.N, 0)
			if err := rec.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			rec.Close()
			close(stopPaced)
			paced.Wait()
			rate[mode] = float64(b.N) / elapsed.Seconds()
			b.ReportMetric(rate[mode], "exchanges/s")
			if w != nil {
				want := int64(b.N)
				if mode != "saturated" {
					want = pacedSent.Load()
				}
				if !w.waitAll(want, 60*time.Second) {
					b.Errorf("not every client got the %d exchanges (resets %d)", want, w.resets.Load())
				}
				b.ReportMetric(float64(want)/time.Since(start).Seconds(), "streamed/s")
				w.close()
			}
		})
	}
	for _, mode := range []string{"paced-no-web", "fanout-1000/s", "saturated"} {
		if rate["alone"] > 0 && rate[mode] > 0 {
			b.Logf("recorder rate %s/alone = %.3f", mode, rate[mode]/rate["alone"])
		}
	}
	if rate["paced-no-web"] > 0 && rate["fanout-1000/s"] > 0 {
		b.Logf("recorder rate fanout-1000/s/paced-no-web = %.3f (the web view's own cost)", rate["fanout-1000/s"]/rate["paced-no-web"])
	}
}

// BenchmarkFanoutLatency records 1,000 exchanges per second for two
// seconds while 10 clients watch, and reports how long after its
// exchange was reported each event reached a client (p50, p95).
func BenchmarkFanoutLatency(b *testing.B) {
	const clients, perSecond, total = 10, 1000, 2000
	for i := 0; i < b.N; i++ {
		ts := startServer(b, func(c *Config) { c.PollInterval = DefaultPollInterval })
		ctx := context.Background()
		st, err := store.Open(ctx, ts.dbPath)
		if err != nil {
			b.Fatal(err)
		}
		w := watch(b, ts, clients)
		rec := recorder.New(st, recorder.Options{})
		sent := make([]time.Time, 0, total)
		obs := &timingObserver{Observer: rec, sent: &sent}
		playSynthetic(ctx, obs, "paced", total, perSecond)
		rec.Close()
		if !w.waitAll(total, 30*time.Second) {
			b.Fatalf("not every client got the %d exchanges", total)
		}
		w.close()
		st.Close()
		// Arrivals come in order per client; match them to the send times.
		w.mu.Lock()
		arr := slices.Clone(w.arrivals)
		w.mu.Unlock()
		slices.SortFunc(arr, func(a, b time.Time) int { return a.Compare(b) })
		var lat []time.Duration
		for k, t := range arr {
			lat = append(lat, t.Sub(sent[k/clients]))
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
	}
}

// timingObserver notes when each exchange was reported.
type timingObserver struct {
	simulator.Observer
	sent *[]time.Time
}

func (o *timingObserver) Begin(ctx context.Context, info *simulator.SessionInfo) simulator.Play {
	return &timingPlay{Play: o.Observer.Begin(ctx, info), sent: o.sent}
}

// timingPlay is timingObserver's handle for one play.
type timingPlay struct {
	simulator.Play
	sent *[]time.Time
}

func (p *timingPlay) Exchange(ex *simulator.Exchange) {
	*p.sent = append(*p.sent, time.Now())
	p.Play.Exchange(ex)
}

// BenchmarkRunsFirstPage is GET /api/v1/runs (the first page of 50,
// newest first) out of 100,000 recorded runs, unfiltered and filtered;
// it reports the p95 latency in milliseconds (target under 50).
func BenchmarkRunsFirstPage(b *testing.B) {
	ts := startServer(b, nil)
	ctx := context.Background()
	const runs = 100_000
	t0 := time.Now().Add(-time.Hour)
	err := ts.st.Update(ctx, func(tx *store.Tx) error {
		for i := 0; i < runs; i++ {
			id, err := tx.CreateRun(ctx, &store.Run{SessionName: fmt.Sprintf("session-%d", i%37), Started: t0.Add(time.Duration(i) * time.Millisecond)})
			if err != nil {
				return err
			}
			if err := tx.FinishRun(ctx, id, t0.Add(time.Duration(i)*time.Millisecond+time.Millisecond), store.OutcomePassed, 0, 0, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, q := range []string{"", "?session=session-5", "?q=ion-1", "?before=50000", "?errors=1"} {
		b.Run(orDefault(q, "all"), func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for i := 0; i < b.N; i++ {
				start := time.Now()
				resp, err := http.Get(ts.base + "/api/v1/runs" + q)
				if err != nil {
					b.Fatal(err)
				}
				var page runsPage
				err = json.NewDecoder(resp.Body).Decode(&page)
				resp.Body.Close()
				lat = append(lat, time.Since(start))
				if err != nil || resp.StatusCode != 200 || (q != "?errors=1" && len(page.Runs) != defaultPage) {
					b.Fatalf("GET runs%s: %d, %d runs, %v", q, resp.StatusCode, len(page.Runs), err)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
}
