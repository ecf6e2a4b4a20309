package proxy

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/hooksim/hooksim/sessions"
)

// capture plays s through a proxy in front of a hook answering answer,
// and returns the connections the proxy saw.
func capture(t *testing.T, s *sessions.Session, answer func(string) string) []*Connection {
	t.Helper()
	hook := rawHook(t, answer)
	var mu sync.Mutex
	var conns []*Connection
	base, p := startProxy(t, Config{Upstream: hook.URL("/"), TempFailOnError: true,
		OnConnection: func(c *Connection) { mu.Lock(); conns = append(conns, c); mu.Unlock() }})
	play(t, s, hookAt(base+"/", allStages...))
	p.Close()
	mu.Lock()
	defer mu.Unlock()
	return conns
}

// Compare finds nothing for requests hooksim itself sent, for every
// bundled session.
func TestCompareSelf(t *testing.T) {
	t.Parallel()
	for _, name := range sessions.BundledNames() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, err := sessions.BundledByName(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range capture(t, s, acceptAll) {
				cmp, err := Compare(context.Background(), nil, c.Name, c.Captured())
				if err != nil {
					t.Fatal(err)
				}
				if cmp.Compared != len(c.Requests) {
					t.Errorf("compared %d requests of %d", cmp.Compared, len(c.Requests))
				}
				for _, d := range cmp.Differences {
					t.Errorf("%s: %s", c.Name, d)
				}
			}
		})
	}
}

// Compare names each field where Stalwart's request differs from what
// hooksim would send: a value, a key Stalwart added, a key order.
func TestCompareFindsDifferences(t *testing.T) {
	t.Parallel()
	s, err := sessions.BundledByName("hello")
	if err != nil {
		t.Fatal(err)
	}
	conns := capture(t, s, acceptAll)
	if len(conns) != 1 {
		t.Fatalf("%d connections", len(conns))
	}
	reqs := conns[0].Captured()
	// A Stalwart that sends the PTR at connect already, a "method" in
	// sasl... and the protocol before the server.
	reqs[0].Body = []byte(strings.Replace(string(reqs[0].Body), `"ptr":null`, `"ptr":"mx.example.net."`, 1))
	last := len(reqs) - 1
	reqs[last].Body = []byte(strings.Replace(string(reqs[last].Body), `"protocol":{"version":1}`, `"protocol":{"version":1,"draft":true}`, 1))
	cmp, err := Compare(context.Background(), nil, "x", reqs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range cmp.Differences {
		got = append(got, d.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		`request 1 (connect) context.client.ptr: Stalwart sent "mx.example.net."; hooksim would send null`,
		`(data) context.protocol.draft: Stalwart sent true; hooksim would leave it out`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("differences do not say %q:\n%s", want, all)
		}
	}
}
