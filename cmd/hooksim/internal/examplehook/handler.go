package examplehook

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"sync"
)

// MaxRequestBytes bounds a request body. Stalwart accepts messages of up
// to 100 MiB by default; a hook that wants them whole must allow as much.
// This one stops at 64 MiB and answers 413 beyond.
const MaxRequestBytes = 64 << 20

// About is the plain-text description served at GET /.
const About = "This is hooksim's example MTA Hook for Stalwart. POST Stalwart's hook " +
	"request JSON to any path and it answers with a decision: it accepts every " +
	"connection and EHLO; at MAIL FROM it rejects senders of blocked domains " +
	"(550 5.7.1); at RCPT TO it rejects the local part \"nobody\" (550 5.1.1); " +
	"at DATA it scores the message for spam (spam phrases in the Subject and " +
	"body, a missing Date or Message-ID, a shouted Subject), rejects it at a " +
	"score of 10 or more, and otherwise accepts it with an X-Spam-Score header, " +
	"from 5 on an X-Spam-Flag header and a [SPAM] Subject tag, and always an " +
	"extra archive recipient.\n"

// handler answers hook requests. It holds no per-request state; mu only
// serialises writes to the log.
type handler struct {
	opts     Options
	maxBytes int64 // MaxRequestBytes; smaller in tests
	mu       sync.Mutex
}

// New returns the example hook as an http.Handler. It answers POST on any
// path with a hook decision, GET / with a short description, and other
// methods with 405. Requests must be JSON (Content-Type application/json);
// a body that does not parse gets 400 with a short text.
func New(opts Options) http.Handler {
	return newHandler(opts, MaxRequestBytes)
}

func newHandler(opts Options, maxBytes int64) http.Handler {
	h := &handler{opts: opts.withDefaults(), maxBytes: maxBytes}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /", h.serveHook)
	mux.HandleFunc("GET /{$}", h.serveAbout) // GET also answers HEAD
	return mux
}

func (h *handler) serveAbout(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(About)))
	_, _ = io.WriteString(w, About)
}

func (h *handler) serveHook(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		h.fail(w, http.StatusUnsupportedMediaType, "expected Content-Type: application/json")
		return
	}
	req, err := decodeRequest(http.MaxBytesReader(w, r.Body, h.maxBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.fail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", tooBig.Limit))
			return
		}
		h.fail(w, http.StatusBadRequest, err.Error())
		return
	}
	v, err := h.decide(req)
	if err != nil {
		h.fail(w, http.StatusBadRequest, err.Error())
		return
	}
	body, err := v.resp.encode()
	if err != nil {
		h.fail(w, http.StatusInternalServerError, "encode response: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
	h.logVerdict(req.Context.Stage, v)
}

// decodeRequest reads exactly one JSON object from body.
func decodeRequest(body io.Reader) (*request, error) {
	dec := json.NewDecoder(body)
	var req request
	if err := dec.Decode(&req); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("data after the JSON object")
		}
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	return &req, nil
}

// fail answers with a short plain-text error and logs it.
func (h *handler) fail(w http.ResponseWriter, status int, msg string) {
	http.Error(w, msg, status)
	h.logf("examplehook: status=%d error=%q\n", status, msg)
}

func (h *handler) logVerdict(stage string, v verdict) {
	line := fmt.Sprintf("examplehook: stage=%s action=%s", logToken(stage), v.resp.Action)
	if v.score != nil {
		line += " score=" + v.score.String()
	}
	if v.reason != "" {
		line += fmt.Sprintf(" reason=%q", v.reason)
	}
	h.logf("%s\n", line)
}

// logToken returns s as is when it is a plain word, else quoted, so that
// a strange stage name cannot break the one-line-per-request log.
func logToken(s string) string {
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' && r != '_' {
			return strconv.Quote(s)
		}
	}
	return s
}

func (h *handler) logf(format string, args ...any) {
	if h.opts.Log == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	_, _ = fmt.Fprintf(h.opts.Log, format, args...)
}
