package report_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/simulator/wire"
	"github.com/hooksim/hooksim/store"
)

// randomResponse is an answer with every optional part present or not,
// and strings full of what JSON escapes.
func randomResponse(r *rand.Rand) *wire.Response {
	strs := []string{"", "a@b.org", "<x&y>", "quote\" back\\slash", "ctl\x01\x1f\t\r\n", "é€😀\u2028\u2029", "bad\xff\xfeutf8", "NOTIFY"}
	str := func() string { return strs[r.IntN(len(strs))] }
	ptr := func() *string {
		if r.IntN(3) == 0 {
			return nil
		}
		s := str()
		return &s
	}
	resp := &wire.Response{Action: wire.Action([]string{"accept", "reject", "discard", "quarantine", str()}[r.IntN(5)])}
	if r.IntN(2) == 0 {
		rp := &wire.SMTPResponse{EnhancedStatus: ptr(), Message: ptr(), Disconnect: r.IntN(2) == 0}
		if r.IntN(3) > 0 {
			st := uint16(r.IntN(1000))
			rp.Status = &st
		}
		resp.Reply = rp
	}
	types := []wire.ModType{wire.ModAddHeader, wire.ModInsertHeader, wire.ModChangeHeader, wire.ModDeleteHeader,
		wire.ModReplaceContents, wire.ModChangeFrom, wire.ModAddRecipient, wire.ModDeleteRecipient}
	for range r.IntN(4) {
		m := wire.Modification{Type: types[r.IntN(len(types))], Name: str(), Value: str(), Index: r.Uint32()}
		for range r.IntN(4) { // keys repeat: the last value is kept
			m.Parameters = append(m.Parameters, wire.Parameter{Key: []string{"NOTIFY", "ORCPT", "SIZE", "é"}[r.IntN(4)], Value: ptr()})
		}
		resp.Modifications = append(resp.Modifications, m)
	}
	return resp
}

// The stored form of an answer is exactly json.Marshal of its Parsed, so
// that readers decode what the web API and --json print.
func TestAppendParsedIsMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 8))
	for i := range 5000 {
		resp := randomResponse(r)
		want, err := json.Marshal(report.ParsedOf(resp))
		if err != nil {
			t.Fatal(err)
		}
		if got := report.AppendParsed([]byte("prefix"), resp); string(got) != "prefix"+string(want) {
			t.Fatalf("case %d: %+v\n got %s\nwant prefix%s", i, resp, got, want)
		}
	}
	if got := report.AppendParsed(nil, nil); string(got) != "null" {
		t.Errorf("nil answer: %s", got)
	}
}

// Parameters are listed by key, as the Parsed map holds them, whatever
// order the hook sent them in; the lines are the transcript's
// (simulator.DescribeModification).
func TestModificationLinesSortParameters(t *testing.T) {
	never, full := "NEVER", "FULL"
	resp := &wire.Response{Action: wire.ActionAccept, Modifications: []wire.Modification{
		{Type: wire.ModAddRecipient, Value: "a@b.org", Parameters: []wire.Parameter{{Key: "ORCPT", Value: &full}, {Key: "NOTIFY", Value: &never}, {Key: "X"}}},
		{Type: wire.ModChangeHeader, Name: "Subject", Index: 2, Value: "new"},
	}}
	got := report.ModificationLines(report.ParsedOf(resp).Modifications)
	want := []string{`addRecipient a@b.org NOTIFY=NEVER ORCPT=FULL X`, `changeHeader #2 Subject: "new"`}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("lines %q, want %q", got, want)
	}
}

// A stored run shows the answer as the recorder parsed it, never a new
// parse of the body; rows recorded before the parse was stored are
// parsed when read. The live tail carries the parse instead of the body.
func TestStoredParseIsRecorded(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "hooksim.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	id, err := st.CreateRun(ctx, &store.Run{SessionName: "s", SessionFile: "s.yaml", Source: "script", Started: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	recorded := report.AppendParsed(nil, &wire.Response{Action: wire.ActionAccept, Modifications: []wire.Modification{
		{Type: wire.ModAddHeader, Name: "X-Recorded", Value: "yes"}}})
	row := func(seq int, parsed []byte) store.Exchange {
		return store.Exchange{RunID: id, Seq: seq, Stage: "rcpt", HookID: "h", URL: "http://127.0.0.1:1/", Started: time.Now(),
			Status: 200, ResponseBody: []byte(`{"action":"reject","modifications":[{"type":"addHeader","name":"X-Body","value":"no"}]}`),
			Outcome: "accept", Parsed: parsed}
	}
	if err := st.Write(ctx, store.Batch{Exchanges: []store.Exchange{row(1, recorded), row(2, nil)}}); err != nil {
		t.Fatal(err)
	}
	doc, err := report.Stored(ctx, st, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Unstepped) != 2 {
		t.Fatalf("%d exchanges, want 2", len(doc.Unstepped))
	}
	if p := doc.Unstepped[0].Parsed; p == nil || p.Action != "accept" || doc.Unstepped[0].Modifications[0] != `addHeader X-Recorded: "yes"` {
		t.Errorf("exchange with a stored parse: %+v %q, want the recorded accept with X-Recorded", p, doc.Unstepped[0].Modifications)
	}
	if p := doc.Unstepped[1].Parsed; p == nil || p.Action != "reject" || doc.Unstepped[1].Modifications[0] != `addHeader X-Body: "no"` {
		t.Errorf("exchange recorded before the parse was stored: %+v %q, want the body's reject", p, doc.Unstepped[1].Modifications)
	}
	tail, err := st.ExchangesAfter(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(tail) != 2 || string(tail[0].Parsed) != string(recorded) || len(tail[0].ResponseBody) != 0 ||
		tail[1].Parsed != nil || len(tail[1].ResponseBody) == 0 {
		t.Errorf("tail: want the parse without the body, then the body of the old row; got %+v", tail)
	}
}
