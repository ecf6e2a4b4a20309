// Command gohook is a minimal Stalwart MTA Hook in Go, with only the
// standard library: it accepts everything, refuses senders of blocked
// domains at MAIL FROM, and at DATA adds an X-Recipe-Hook header and, when
// the message can be rebuilt byte for byte, an X-Message-SHA256 header.
//
//	go run ./docs/recipes/gohook -listen 127.0.0.1:8025 -block blocked.example
//
// The request and response shapes are Stalwart v0.16.18's
// (crates/smtp/src/inbound/hooks/mod.rs); docs/hook-input.md describes the
// request, docs/recipes.md this program.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// request is the part of Stalwart's request this hook reads. Envelope is
// nil at connect and ehlo; Message is nil before data.
type request struct {
	Context struct {
		Stage string `json:"stage"` // connect, ehlo, mail, rcpt, data
	} `json:"context"`
	Envelope *struct {
		From address   `json:"from"` // "" is the null sender <>
		To   []address `json:"to"`
	} `json:"envelope"`
	Message *message `json:"message"`
}

type address struct {
	Address string `json:"address"` // lower-cased by Stalwart
}

// message is the data-stage message: raw header values (leading space and
// CRLF included), the raw body without the CRLF before the final dot, and
// the size in bytes of the message as received.
type message struct {
	Headers  [][2]string `json:"headers"`
	Contents string      `json:"contents"`
	Size     int         `json:"size"`
}

// response is what Stalwart parses. The spellings matter: Stalwart reads
// enhanced_status (snake case) and ignores unknown keys.
type response struct {
	Action        string         `json:"action"` // accept, reject, discard, quarantine
	Response      *smtpReply     `json:"response,omitempty"`
	Modifications []modification `json:"modifications,omitempty"`
}

type smtpReply struct {
	Status         int    `json:"status"`
	EnhancedStatus string `json:"enhanced_status"`
	Message        string `json:"message"`
}

type modification struct {
	Type  string `json:"type"` // addHeader, changeHeader, ... exactly so spelt
	Name  string `json:"name"`
	Value string `json:"value"`
}

// rebuild returns the message as Stalwart received it: every header as
// name + ":" + value (the value carries its leading space and its CRLF,
// folds included), the empty line, then the body. exact is false when
// Stalwart replaced bytes that were not UTF-8 with U+FFFD, or when the
// length differs from size (a message without an empty line): then the
// result is not the received bytes.
func rebuild(m *message) (raw []byte, exact bool) {
	var b strings.Builder
	for _, h := range m.Headers {
		b.WriteString(h[0] + ":" + h[1])
	}
	b.WriteString("\r\n")
	b.WriteString(m.Contents)
	s := b.String()
	return []byte(s), len(s) == m.Size && !strings.ContainsRune(s, '\uFFFD')
}

// decide answers one request.
func decide(req *request, blocked map[string]bool) response {
	switch req.Context.Stage {
	case "mail":
		from := req.Envelope.From.Address
		if blocked[from[strings.LastIndexByte(from, '@')+1:]] {
			return response{Action: "reject", Response: &smtpReply{Status: 550, EnhancedStatus: "5.7.1", Message: "Sender blocked by policy"}}
		}
	case "data":
		mods := []modification{{Type: "addHeader", Name: "X-Recipe-Hook", Value: "gohook"}}
		if raw, exact := rebuild(req.Message); exact {
			sum := sha256.Sum256(raw)
			mods = append(mods, modification{Type: "addHeader", Name: "X-Message-SHA256", Value: hex.EncodeToString(sum[:])})
		}
		return response{Action: "accept", Modifications: mods}
	}
	return response{Action: "accept"}
}

// handler serves the hook. A request that is not a POST of a JSON object
// with the shapes above gets a 4xx, which Stalwart treats as a hook error
// (451 4.3.5 to the client with tempFailOnError).
func handler(blocked map[string]bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "gohook: POST a Stalwart MTA Hook request", http.StatusMethodNotAllowed)
			return
		}
		var req request
		// Stalwart's default message size limit is 100 MiB; JSON escaping
		// can double it.
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 256<<20)).Decode(&req); err != nil {
			http.Error(w, "gohook: read request: "+err.Error(), http.StatusBadRequest)
			return
		}
		if (req.Context.Stage == "mail" && req.Envelope == nil) || (req.Context.Stage == "data" && req.Message == nil) {
			http.Error(w, "gohook: a "+req.Context.Stage+" request without its envelope or message", http.StatusBadRequest)
			return
		}
		out, err := json.Marshal(decide(&req, blocked))
		if err != nil {
			http.Error(w, "gohook: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
	})
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8025", "address to listen on (port 0: a free port)")
	block := flag.String("block", "blocked.example", "sender domains to refuse at MAIL FROM, comma-separated")
	flag.Parse()
	blocked := map[string]bool{}
	for _, d := range strings.Split(*block, ",") {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
			blocked[d] = true
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gohook: -listen: %v\n", err)
		os.Exit(2)
	}
	fmt.Printf("gohook listening on http://%s/\n", ln.Addr())
	srv := &http.Server{Handler: handler(blocked), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(ln))
}
