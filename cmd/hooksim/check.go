package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
)

const checkExamples = `  hooksim check response.json
  echo '{"action":"reject","response":{"status":550,"enhancedStatus":"5.7.1","message":"no"}}' | hooksim check --stage mail -
  echo '{"action":"accept","modifications":[{"type":"addHeader","name":"Subject","value":"Grüße"}]}' | hooksim check -
  echo '{"action":"reject","response":{"status":550,"message":"no"}}' | hooksim check --status 403 --stage rcpt -
`

const checkSynopsis = `[flags] FILE|-

Parses a hook response body as Stalwart v0.16.18 would, says what the SMTP client would hear, and
lists lints, each with why and the fix: the lints that need only the body (the docs' spellings,
partial replies, discard before data, header names and values that break the header block, the
IETF draft's shape).

--status gives the HTTP status of the answer (default 200). Stalwart reads the body of a 2xx answer
only: any other status is a hook error whatever the body, and check says what the client hears
with tempFailOnError true (451 4.3.5) and false (the hook is skipped). A 204 has no body.
Exit 0 when Stalwart accepts the answer, 1 when it would treat it as a hook error.`

func runCheck(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("check", checkSynopsis, checkExamples, env)
	stage := fs.String("stage", "data", "the stage the response answers (connect, ehlo, mail, rcpt, data)")
	status := fs.Int("status", 200, "the HTTP status the hook answers with (200-599)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("check takes one FILE (or - for standard input)")
	}
	st := wire.Stage(*stage)
	if !st.Valid() || st == wire.StageAuth {
		return usagef("--stage %q: want connect, ehlo, mail, rcpt or data", *stage)
	}
	if *status < 200 || *status > 599 {
		return usagef("--status %d: want an HTTP status from 200 to 599", *status)
	}
	var src io.Reader = env.stdin
	if rest[0] != "-" {
		// Stat before opening: opening a FIFO blocks until a writer comes.
		if fi, err := os.Stat(rest[0]); err == nil && !fi.Mode().IsRegular() {
			return usagef("check: %s is not a regular file", rest[0])
		}
		f, err := os.Open(rest[0])
		if err != nil {
			return usagef("check: %v", err)
		}
		defer f.Close()
		src = f
	}
	// Stalwart reads at most maxResponseSize (50 MiB by default) of an answer.
	body, err := io.ReadAll(io.LimitReader(src, hookconf.DefaultMaxResponseSize+1))
	if err != nil {
		return usagef("check: %v", err)
	}
	if len(body) > hookconf.DefaultMaxResponseSize {
		return usagef("check: the body is over %d bytes, Stalwart's default maxResponseSize: it would be a hook error", hookconf.DefaultMaxResponseSize)
	}
	res := checkAnswer(*status, body, st)
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return fmt.Errorf("check: write JSON: %w", err)
		}
	} else {
		printCheck(env, res)
	}
	if !res.Valid {
		return failedError{}
	}
	return nil
}

// checkResult is what check prints, and its --json shape.
type checkResult struct {
	HTTPStatus    int      `json:"http_status"`
	Valid         bool     `json:"valid"`
	Error         string   `json:"error,omitempty"`
	Action        string   `json:"action,omitempty"`
	Modifications []string `json:"modifications"`
	Reply         string   `json:"reply"`
	ReplyNoTemp   string   `json:"reply_without_tempfail,omitempty"`
	// ReplyOnlyHook is the reply when the failing hook is skipped
	// (tempFailOnError false) and it is the only hook: the stage's
	// normal reply.
	ReplyOnlyHook string      `json:"reply_without_tempfail_only_hook,omitempty"`
	Lints         []wire.Lint `json:"lints"`
}

// checkAnswer judges a hook answer with the HTTP status and body as
// Stalwart's send_mta_hook_request and run_mta_hooks would.
func checkAnswer(status int, body []byte, stage wire.Stage) checkResult {
	if status < 200 || status > 299 {
		res := checkResult{HTTPStatus: status, Modifications: []string{},
			Error: hookclient.StatusError(status).Message + " (a hook error whatever the body: Stalwart reads only 2xx answers)",
			Lints: []wire.Lint{simulator.StatusLint(status, body)}}
		hookError(&res, stage)
		return res
	}
	if status == 204 {
		body = nil // hyper reads no body for a 204
	}
	res := checkBody(body, stage)
	res.HTTPStatus = status
	return res
}

// hookError fills in what the client hears when the answer is a hook error.
func hookError(res *checkResult, stage wire.Stage) {
	res.Reply = simulator.ReplyHookTempFail
	res.ReplyOnlyHook = simulator.NormalReply(stage)
	res.ReplyNoTemp = "the hook is skipped and the next one runs; if it is the only hook, the client hears " + res.ReplyOnlyHook + " (tempFailOnError false)"
}

func checkBody(body []byte, stage wire.Stage) checkResult {
	r, lints, err := wire.Inspect(body, stage)
	res := checkResult{Modifications: []string{}, Lints: lints}
	if res.Lints == nil {
		res.Lints = []wire.Lint{}
	}
	if err != nil {
		res.Error = err.Error()
		hookError(&res, stage)
		return res
	}
	res.Valid = true
	res.Action = string(r.Action)
	for _, m := range r.Modifications {
		res.Modifications = append(res.Modifications, simulator.DescribeModification(m))
	}
	res.Reply = simulator.StageReply(stage, r)
	if r.Action == wire.ActionAccept {
		// The reply alone; what happens to the modifications is said apart.
		res.Reply = simulator.NormalReply(stage)
	}
	return res
}

func printCheck(env *cliEnv, res checkResult) {
	w := termSafe{env.stdout}
	if res.Valid {
		fmt.Fprintf(w, "valid: action %s, %s\n", res.Action, plural(len(res.Modifications), "modification"))
		for _, m := range res.Modifications {
			fmt.Fprintf(w, "  %s\n", m)
		}
	} else {
		fmt.Fprintf(w, "invalid: %s\n", res.Error)
	}
	if res.Valid {
		fmt.Fprintf(w, "the client hears: %s\n", res.Reply)
	} else {
		fmt.Fprintf(w, "the client hears: %s (tempFailOnError true, the default)\n", res.Reply)
	}
	if res.ReplyNoTemp != "" {
		fmt.Fprintf(w, "otherwise: %s\n", res.ReplyNoTemp)
	}
	for _, l := range res.Lints {
		fmt.Fprintf(w, "lint %s\n", l)
	}
}
