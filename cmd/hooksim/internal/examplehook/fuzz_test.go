package examplehook

import (
	"net/http"
	"testing"

	"github.com/hooksim/hooksim/simulator/wire"
)

// FuzzHook posts arbitrary bodies: the hook must never panic, and every
// 200 answer must be a response Stalwart parses.
func FuzzHook(f *testing.F) {
	f.Add(stalwartRequest(wire.StageConnect, nil, nil))
	f.Add(stalwartRequest(wire.StageRcpt, newEnvelope("a@b.example", "nobody@c.example"), nil))
	f.Add(stalwartRequest(wire.StageData, newEnvelope("a@b.example", "c@d.example"),
		rawMessage("Subject: WINNER\nDate: x\n\nfree money\n")))
	f.Add([]byte(`{"context":{"stage":"data"},"message":{"headers":[["Subject"]],"contents":"","size":0}}`))
	f.Add([]byte(`{"context":{"stage":"mail"},"envelope":{"from":{},"to":null}}`))
	h := newHandler(Options{}, 1<<20)
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := post(h, body)
		if rec.Code != http.StatusOK {
			return
		}
		if _, err := wire.ParseResponse(rec.Body.Bytes()); err != nil {
			t.Fatalf("answer %s does not parse: %v", rec.Body, err)
		}
	})
}
