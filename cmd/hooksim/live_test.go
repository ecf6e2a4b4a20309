package main

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// liveServer is a hooksim server command (smtp, proxy) running
// in-process until the test stops it.
type liveServer struct {
	addr     string // the banner's address (re's first group)
	out, err *syncBuffer
	stop     func() int // Ctrl-C; returns the exit code
}

// startLive runs hooksim with args and waits for its banner: re matches
// the address, and "Ctrl-C to stop" ends it.
func startLive(t *testing.T, dataHome string, re *regexp.Regexp, args []string) *liveServer {
	t.Helper()
	s := &liveServer{out: &syncBuffer{}, err: &syncBuffer{}}
	env := &cliEnv{stdout: s.out, stderr: s.err, stdin: strings.NewReader(""),
		getenv: func(k string) (string, bool) {
			if k == "XDG_DATA_HOME" {
				return dataHome, true
			}
			return "", false
		}}
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() { code <- runMain(ctx, env, args) }()
	var once sync.Once
	exit := -1
	s.stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case exit = <-code:
			case <-time.After(20 * time.Second):
				t.Errorf("hooksim %s did not stop after Ctrl-C\n%s", args[0], s.out.String())
			}
		})
		return exit
	}
	t.Cleanup(func() { s.stop() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := re.FindStringSubmatch(s.out.String()); m != nil && strings.Contains(s.out.String(), "Ctrl-C to stop") {
			s.addr = m[1]
			return s
		}
		select {
		case c := <-code:
			t.Fatalf("hooksim %s exited %d:\n%s\n%s", args[0], c, s.out.String(), s.err.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no banner:\n%s\n%s", s.out.String(), s.err.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitFor waits until the server's output holds want.
func (s *liveServer) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(s.out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the output never said %q:\n%s", want, s.out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
