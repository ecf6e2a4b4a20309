package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooksim/hooksim/store"
)

// Breaker: many clients in every state when Ctrl-C comes; every run
// must be finished (none left running) and hold every command the
// client got a reply to.
func TestBreakerStopWithManyClients(t *testing.T) {
	hook := exampleHook(t)
	db := filepath.Join(t.TempDir(), "h.db")
	s := startSMTP(t, t.TempDir(), "--url", hook, "--stages", "all", "--db", db, "-q")
	scripts := []string{
		"EHLO client.example.net\r\n",
		"EHLO client.example.net\r\nMAIL FROM:<a@example.org>\r\n",
		"EHLO client.example.net\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n",
		"EHLO client.example.net\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: x\r\n\r\nhalf",
		"EHLO client.example.net\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nBDAT 100\r\nSubject: x\r\n",
		"EHLO client.example.net\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n",
		"EHLO client.example.net\r\nNOOP",
	}
	const perScript = 10
	var wg sync.WaitGroup
	ready := make(chan struct{}, len(scripts)*perScript)
	var conns []net.Conn
	var mu sync.Mutex
	for i := 0; i < perScript; i++ {
		for _, sc := range scripts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := net.Dial("tcp", s.addr)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
				c.SetDeadline(time.Now().Add(30 * time.Second))
				r := bufio.NewReader(c)
				r.ReadString('\n')
				io.WriteString(c, sc)
				// read what is answered for a moment
				c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
				io.Copy(io.Discard, r)
				ready <- struct{}{}
			}()
		}
	}
	wg.Wait()
	if code := s.stop(); code != exitOK {
		t.Errorf("exit %d", code)
	}
	for _, c := range conns {
		c.Close()
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.ListRuns(context.Background(), store.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != len(scripts)*perScript {
		t.Errorf("%d runs, want %d", len(runs), len(scripts)*perScript)
	}
	counts := map[string]int{}
	for _, r := range runs {
		counts[r.Outcome]++
		steps, err := st.Steps(context.Background(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, s := range steps {
			kinds = append(kinds, s.Kind)
		}
		key := strings.Join(kinds, ",")
		counts[key]++
	}
	for k, v := range counts {
		fmt.Println(v, k)
	}
	if counts[store.OutcomeRunning] > 0 {
		t.Errorf("%d runs left running", counts[store.OutcomeRunning])
	}
}

// Breaker: a thousand clients at once, each sending one message: every
// connection is a run, every message recorded once.
func TestBreakerThousandClients(t *testing.T) {
	if testing.Short() {
		t.Skip()
	}
	hook := exampleHook(t)
	db := filepath.Join(t.TempDir(), "h.db")
	s := startSMTP(t, t.TempDir(), "--url", hook, "--stages", "all", "--db", db, "-q")
	const n = 1000
	var wg sync.WaitGroup
	var failed sync.Map
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", s.addr)
			if err != nil {
				failed.Store(i, err.Error())
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(60 * time.Second))
			r := bufio.NewReader(c)
			io.WriteString(c, "EHLO client.example.net\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n")
			b, _ := io.ReadAll(r)
			if !strings.Contains(string(b), "221 2.0.0 Bye.") || !strings.Contains(string(b), "Message queued") {
				failed.Store(i, string(b))
			}
		}()
	}
	wg.Wait()
	nf := 0
	failed.Range(func(k, v any) bool {
		if nf < 3 {
			t.Errorf("client %v: %v", k, v)
		}
		nf++
		return true
	})
	if nf > 0 {
		t.Errorf("%d clients failed", nf)
	}
	if code := s.stop(); code != exitOK {
		t.Errorf("exit %d\n%s", code, s.err.String())
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.ListRuns(context.Background(), store.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := st.ListMessages(context.Background(), store.MessageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	outcomes := map[string]int{}
	for _, r := range runs {
		outcomes[r.Outcome]++
	}
	if len(runs) != n || len(msgs) != n || outcomes[store.OutcomePassed] != n {
		t.Errorf("%d runs (%v), %d messages; want %d passed runs and messages", len(runs), outcomes, len(msgs), n)
	}
	if !strings.Contains(s.out.String(), fmt.Sprintf("%d connections, %d messages queued", n, n)) {
		t.Errorf("summary: %s", s.out.String())
	}
}
