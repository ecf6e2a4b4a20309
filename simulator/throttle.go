package simulator

import (
	"strings"
	"sync"
	"time"
)

// ReplyRateLimit is Stalwart's reply when a throttle trips at MAIL or
// RCPT (mail.rs:542-552, rcpt.rs:340-351).
const ReplyRateLimit = "452 4.4.5 Rate limit exceeded, try again later."

// Stalwart's default inbound throttles, written at bootstrap
// (common/src/manager/defaults.rs:115-150).
const (
	ConnectRate        = 5 // connections from one remote IP ...
	ConnectPeriod      = time.Second
	RcptRate           = 25 // recipients per sender domain and recipient ...
	RcptPeriod         = time.Hour
	nullSenderThrottle = "<>"
)

// Throttles are Stalwart's default inbound throttles across the sessions
// of a Simulator (Simulator.Throttles): 5 connections a second from one
// remote IP, checked at connect (a connection over it is closed before
// the greeting, without a word); and 25 an hour per sender domain and
// recipient, checked at RCPT after the hooks and the relay check (the
// recipient is dropped with ReplyRateLimit, which does not count as a
// failed RCPT). Each is a fixed window aligned on the Unix epoch,
// counting every attempt, refused ones too, as Stalwart's
// is_rate_allowed does (store/src/dispatch/lookup.rs:296-325). Safe for
// concurrent use.
type Throttles struct {
	mu      sync.Mutex
	windows map[string]throttleWindow
}

type throttleWindow struct {
	start int64 // the window's number: Unix seconds / period
	count int
}

// NewThrottles returns Stalwart's default throttles, with no history.
func NewThrottles() *Throttles { return &Throttles{windows: map[string]throttleWindow{}} }

// Connect counts a connection from ip and reports whether it may go on.
func (t *Throttles) Connect(ip string, now time.Time) bool {
	return t.allow("remote\x00"+ip, ConnectRate, ConnectPeriod, now)
}

// Rcpt counts a recipient rcpt (lower case) of a transaction from
// senderDomain ("" for the null sender) and reports whether it may go on.
func (t *Throttles) Rcpt(senderDomain, rcpt string, now time.Time) bool {
	if senderDomain == "" {
		senderDomain = nullSenderThrottle
	}
	return t.allow("rcpt\x00"+strings.ToLower(senderDomain)+"\x00"+rcpt, RcptRate, RcptPeriod, now)
}

// allow counts one attempt under key in the current window of period.
func (t *Throttles) allow(key string, rate int, period time.Duration, now time.Time) bool {
	if t == nil {
		return true
	}
	secs := int64(max(period/time.Second, 1))
	window := now.Unix() / secs
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.windows[key]
	if w.start != window {
		if len(t.windows) > 100000 {
			t.dropOld(now)
		}
		w = throttleWindow{start: window}
	}
	w.count++
	t.windows[key] = w
	return w.count <= rate
}

// dropOld forgets the windows that are over.
func (t *Throttles) dropOld(now time.Time) {
	for k, w := range t.windows {
		period := RcptPeriod
		if strings.HasPrefix(k, "remote\x00") {
			period = ConnectPeriod
		}
		if w.start != now.Unix()/int64(period/time.Second) {
			delete(t.windows, k)
		}
	}
}
