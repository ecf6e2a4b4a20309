// Package hooktest checks the recipe hooks of docs/recipes.md: it plays
// every bundled session against a running hook, configured for every stage,
// with hooksim's simulator, and asserts what the recipe promises.
package hooktest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

// BlockedSession is the bundled session whose sender (of blocked.example)
// the recipes refuse, and BlockedReply the reply they give at MAIL FROM.
const (
	BlockedSession = "blocked-sender"
	BlockedReply   = "550 5.7.1 Sender blocked by policy"
)

// Play plays every bundled session against the hook at url, configured
// for every stage with a 10 s timeout, and returns the results by session
// name.
func Play(t testing.TB, url string) map[string]*simulator.SessionResult {
	t.Helper()
	hook, err := hookconf.FromFlags(hookconf.FlagSpec{URL: url, Stages: []string{"all"}, Timeout: "10s"})
	if err != nil {
		t.Fatalf("hooktest: hook %s: %v", url, err)
	}
	all, err := sessions.Bundled()
	if err != nil {
		t.Fatalf("hooktest: bundled sessions: %v", err)
	}
	sim := simulator.New([]*hookconf.Hook{hook}, nil)
	defer sim.Client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out := map[string]*simulator.SessionResult{}
	for _, s := range all {
		res := sim.Play(ctx, s)
		if res.Err != nil {
			t.Fatalf("hooktest: play %s: %v", s.Name, res.Err)
		}
		out[s.Name] = res
	}
	return out
}

// CheckRecipe asserts, for the results of Play, what docs/recipes.md says
// of a recipe hook whose X-Recipe-Hook value is marker:
//   - every hook call succeeds and its answer draws no lint (the hook
//     speaks Stalwart's format exactly), and the hook is called at every
//     stage but auth;
//   - the blocked sender is refused at MAIL FROM with BlockedReply, and
//     nothing of that session is queued;
//   - every other message is queued with "X-Recipe-Hook: marker" first,
//     then "X-Message-SHA256: " and the SHA-256 of the message as received
//     when that message is valid UTF-8; when it is not (the eight-bit
//     session), the hash header is missing.
func CheckRecipe(t *testing.T, results map[string]*simulator.SessionResult, marker string) {
	t.Helper()
	if len(results) == 0 {
		t.Fatal("hooktest: no sessions played")
	}
	stages := map[string]int{}
	invalidUTF8 := 0
	for name, res := range results {
		for _, st := range res.Steps {
			for _, ex := range st.Exchanges {
				stages[string(ex.Stage)]++
				if ex.Err != nil {
					t.Errorf("%s: %s: hook error: %v", name, ex.Stage, ex.Err)
				}
				for _, l := range ex.Lints {
					t.Errorf("%s: %s: lint %s", name, ex.Stage, l)
				}
			}
		}
		if name == BlockedSession {
			checkBlocked(t, res)
			continue
		}
		if len(res.Transactions) == 0 {
			t.Errorf("%s: no message was sent", name)
		}
		for _, tx := range res.Transactions {
			if !utf8.Valid(tx.Original) {
				invalidUTF8++
			}
			if err := checkTagged(tx, marker); err != nil {
				t.Errorf("%s: transaction %d: %v", name, tx.Number, err)
			}
		}
	}
	for _, st := range []string{"connect", "ehlo", "mail", "rcpt", "data"} {
		if stages[st] == 0 {
			t.Errorf("the hook was never called at %s", st)
		}
	}
	if stages["auth"] != 0 {
		t.Errorf("the hook was called at auth %d times; Stalwart never does", stages["auth"])
	}
	if invalidUTF8 == 0 {
		t.Error("no bundled message is invalid UTF-8: the missing-hash case was not exercised")
	}
}

func checkBlocked(t *testing.T, res *simulator.SessionResult) {
	t.Helper()
	refused := false
	for _, st := range res.Steps {
		if st.Kind == string(sessions.StepMail) {
			refused = st.Action == "reject" && st.Reply() == BlockedReply
			if !refused {
				t.Errorf("%s: MAIL FROM got %q (action %s), want %q (reject)", res.Name, st.Reply(), st.Action, BlockedReply)
			}
		}
	}
	if !refused {
		t.Errorf("%s: no MAIL FROM was refused", res.Name)
	}
	for _, tx := range res.Transactions {
		if tx.Delivered {
			t.Errorf("%s: a message of the blocked sender was queued", res.Name)
		}
	}
}

// checkTagged checks that tx was queued with the recipe's headers on top.
func checkTagged(tx *simulator.TransactionResult, marker string) error {
	if !tx.Delivered {
		return fmt.Errorf("not queued: %s", tx.Reply)
	}
	want := "X-Recipe-Hook: " + marker + "\r\n"
	if utf8.Valid(tx.Original) {
		sum := sha256.Sum256(tx.Original)
		want += "X-Message-SHA256: " + hex.EncodeToString(sum[:]) + "\r\n"
	}
	want += string(tx.Original)
	if !bytes.Equal(tx.Final, []byte(want)) {
		head, _, _ := strings.Cut(string(tx.Final), "\r\n\r\n")
		return fmt.Errorf("queued message differs from the recipe's headers + the original; its header block:\n%s", head)
	}
	return nil
}

// Message is the message object of a data-stage request.
type Message struct {
	Headers  [][2]string `json:"headers"`
	Contents string      `json:"contents"`
	Size     int         `json:"size"`
}

// DataRequest is one data-stage request of testdata/requests/*.golden with
// the message the bundled session sent for it.
type DataRequest struct {
	Golden  string // the golden file's path
	Request int    // the request's number in it
	Message Message
	// Original is the message as the client sent it, CRLF line ends,
	// without the CRLF before the final dot: what Stalwart received.
	Original []byte
}

// DataRequests reads every data-stage request of dir/*.golden (the format
// simulator/golden_test.go writes: "# request N: STAGE" then the body on
// one line) and pairs each with the bundled session's data step of the
// same name whose message has the request's size, in order.
func DataRequests(t testing.TB, dir string) []DataRequest {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.golden"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("hooktest: no golden requests in %s (%v)", dir, err)
	}
	var out []DataRequest
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(path), ".golden")
		sess, err := sessions.BundledByName(name)
		if err != nil {
			t.Fatalf("hooktest: %s: %v", path, err)
		}
		var sent [][]byte
		for _, st := range sess.Steps {
			if st.Kind == sessions.StepData && st.Message != nil {
				sent = append(sent, bytes.TrimSuffix(st.Message.Raw, []byte("\r\n")))
			}
		}
		lines := strings.Split(string(data), "\n")
		for i := 0; i+1 < len(lines); i++ {
			var n int
			var stage string
			if _, err := fmt.Sscanf(lines[i], "# request %d: %s", &n, &stage); err != nil || stage != "data" {
				continue
			}
			var req struct {
				Message *Message `json:"message"`
			}
			if err := json.Unmarshal([]byte(lines[i+1]), &req); err != nil || req.Message == nil {
				t.Fatalf("hooktest: %s:%d: data request without a message (%v)", path, i+2, err)
			}
			dr := DataRequest{Golden: path, Request: n, Message: *req.Message}
			for k, raw := range sent {
				if len(raw) == req.Message.Size {
					dr.Original, sent = raw, append(sent[:k:k], sent[k+1:]...)
					break
				}
			}
			if dr.Original == nil {
				t.Fatalf("hooktest: %s:%d: no data step of session %s sent %d bytes", path, i+2, name, req.Message.Size)
			}
			out = append(out, dr)
		}
	}
	return out
}
