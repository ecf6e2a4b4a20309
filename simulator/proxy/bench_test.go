package proxy

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
)

// benchRequest is a data-stage request as Stalwart builds it.
func benchRequest() []byte {
	helo, ptr := "mail.example.net", "mail.example.net."
	r := &wire.Request{
		Context: wire.Context{Stage: wire.StageData,
			Client:   wire.ClientInfo{IP: "203.0.113.7", Port: 51234, PTR: &ptr, HELO: &helo, ActiveConnections: 1},
			Server:   wire.ServerInfo{Name: wire.ServerName, Port: 25, IP: "192.0.2.10"},
			Queue:    &wire.Queue{ID: "4c3eb27c4200001"},
			Protocol: wire.Protocol{Version: 1}},
		Envelope: &wire.Envelope{From: wire.Address{Address: "john@example.org"}, To: []wire.Address{{Address: "bill@example.org"}}},
		Message: &wire.Message{Headers: []wire.Header{{Name: "Subject", Value: " Saying Hello\r\n"}},
			Contents: []byte("This is a message just to say hello."), Size: 65},
	}
	return r.Encode()
}

// BenchmarkCall calls a loopback hook straight ("direct") and through a
// Proxy that checks drift and reports to no recorder ("proxied"), with
// hooksim's own client: what the proxy adds per call, in one process.
// bench/proxy-latency.sh measures the real binary's percentiles.
func BenchmarkCall(b *testing.B) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", "application/json")
		w.Write([]byte(`{"action":"accept"}`))
	}))
	defer hook.Close()
	p, err := New(Config{Upstream: hook.URL + "/", Checker: DriftChecker, TempFailOnError: true})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go (&Server{Handler: p.Handler()}).Serve(ctx, ln)
	body := benchRequest()
	for _, bc := range []struct{ name, url string }{{"direct", hook.URL + "/"}, {"proxied", "http://" + ln.Addr().String() + "/"}} {
		b.Run(bc.name, func(b *testing.B) {
			client := hookclient.New()
			defer client.Close()
			h := &hookconf.Hook{ID: "h", URL: bc.url, Timeout: 10 * time.Second}
			b.ReportAllocs()
			for b.Loop() {
				if res := client.Call(context.Background(), h, body); res.Err != nil {
					b.Fatal(res.Err)
				}
			}
		})
	}
}
