// Command proxylat measures what `hooksim proxy` adds to a hook call: it
// sends the same MTA Hook request (a data stage with a small message, as
// hooksim's client sends it, which is Stalwart's way) N times straight to
// a hook and N times through a proxy, in interleaved blocks so that both
// see the same machine load, and prints the latency percentiles of each
// (HDR histograms, µs) and what the proxy adds at p50 and p99.
//
//	go run ./bench/proxylat -hook http://127.0.0.1:8025/ -proxy http://127.0.0.1:9000/ [-n 20000]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
)

func main() {
	hook := flag.String("hook", "", "the hook's URL (direct calls)")
	proxy := flag.String("proxy", "", "the proxy's URL (calls through it)")
	n := flag.Int("n", 20000, "calls of each kind")
	block := flag.Int("block", 200, "calls in a row of one kind before switching")
	flag.Parse()
	if *hook == "" || *proxy == "" {
		fmt.Fprintln(os.Stderr, "proxylat: -hook and -proxy are required")
		os.Exit(2)
	}
	body := request()
	direct, through := measure(*hook, *proxy, body, *n, *block)
	fmt.Printf("%d calls each, request %d bytes, sequential, keep-alive\n", *n, len(body))
	fmt.Printf("%-14s %8s %8s %8s %8s\n", "", "p50 µs", "p90 µs", "p99 µs", "max µs")
	for _, r := range []struct {
		name string
		h    *hdrhistogram.Histogram
	}{{"direct", direct}, {"through proxy", through}} {
		fmt.Printf("%-14s %8d %8d %8d %8d\n", r.name, r.h.ValueAtQuantile(50), r.h.ValueAtQuantile(90), r.h.ValueAtQuantile(99), r.h.Max())
	}
	p50d, p50p := direct.ValueAtQuantile(50), through.ValueAtQuantile(50)
	p99d, p99p := direct.ValueAtQuantile(99), through.ValueAtQuantile(99)
	fmt.Printf("added by the proxy: p50 %d µs (%.2fx direct), p99 %d µs (%.2fx direct)\n",
		p50p-p50d, float64(p50p)/float64(max(p50d, 1)), p99p-p99d, float64(p99p)/float64(max(p99d, 1)))
}

// request is a data-stage request body as Stalwart builds it.
func request() []byte {
	helo, ptr := "mail.example.net", "mail.example.net."
	msg := "From: John <john@example.org>\r\nTo: Bill <bill@example.org>\r\nSubject: Saying Hello\r\nMessage-ID: <1@example.org>\r\n\r\nThis is a message just to say hello.\r\n"
	r := &wire.Request{
		Context: wire.Context{Stage: wire.StageData,
			Client:   wire.ClientInfo{IP: "203.0.113.7", Port: 51234, PTR: &ptr, HELO: &helo, ActiveConnections: 1},
			Server:   wire.ServerInfo{Name: wire.ServerName, Port: 25, IP: "192.0.2.10"},
			Queue:    &wire.Queue{ID: "4c3eb27c4200001"},
			Protocol: wire.Protocol{Version: 1}},
		Envelope: &wire.Envelope{From: wire.Address{Address: "john@example.org"}, To: []wire.Address{{Address: "bill@example.org"}}},
		Message: &wire.Message{Headers: []wire.Header{{Name: "From", Value: " John <john@example.org>\r\n"}, {Name: "To", Value: " Bill <bill@example.org>\r\n"},
			{Name: "Subject", Value: " Saying Hello\r\n"}, {Name: "Message-ID", Value: " <1@example.org>\r\n"}},
			Contents: []byte("This is a message just to say hello."), Size: len(msg) - 2},
	}
	return r.Encode()
}

func measure(hookURL, proxyURL string, body []byte, n, block int) (direct, through *hdrhistogram.Histogram) {
	direct = hdrhistogram.New(1, int64(60*time.Second/time.Microsecond), 3)
	through = hdrhistogram.New(1, int64(60*time.Second/time.Microsecond), 3)
	client := hookclient.New()
	defer client.Close()
	hooks := map[*hdrhistogram.Histogram]*hookconf.Hook{
		direct:  {ID: "direct", URL: hookURL, Timeout: 10 * time.Second},
		through: {ID: "proxy", URL: proxyURL, Timeout: 10 * time.Second},
	}
	ctx := context.Background()
	// Warm-up: connections open, the proxy's recorder and database ready.
	for range 200 {
		for _, h := range hooks {
			client.Call(ctx, h, body)
		}
	}
	for done := 0; done < n; done += block {
		for _, hist := range []*hdrhistogram.Histogram{direct, through} {
			h := hooks[hist]
			for range min(block, n-done) {
				start := time.Now()
				res := client.Call(ctx, h, body)
				took := time.Since(start)
				if res.Err != nil {
					fmt.Fprintf(os.Stderr, "proxylat: %s: %v\n", h.URL, res.Err)
					os.Exit(1)
				}
				_ = hist.RecordValue(max(int64(took/time.Microsecond), 1))
			}
		}
	}
	return direct, through
}
