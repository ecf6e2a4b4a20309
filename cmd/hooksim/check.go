package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/wire"
)

const checkExamples = `  hooksim check response.json
  echo '{"action":"reject","response":{"status":550,"enhancedStatus":"5.7.1","message":"no"}}' | hooksim check --stage mail -
`

func runCheck(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet("check", "[flags] FILE|-\n\nParses a hook response body as Stalwart v0.16.18 would, says what the SMTP client would hear, and lists lints.\nExit 0 when Stalwart accepts the body, 1 when it would treat it as a hook error.", checkExamples, env.stderr)
	stage := fs.String("stage", "data", "the stage the response answers (connect, ehlo, mail, rcpt, data)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("check takes one FILE (or - for standard input)")
	}
	st := wire.Stage(*stage)
	if !st.Valid() {
		return usagef("--stage %q: want connect, ehlo, mail, rcpt or data", *stage)
	}
	var body []byte
	if rest[0] == "-" {
		body, err = io.ReadAll(env.stdin)
	} else {
		body, err = os.ReadFile(rest[0])
	}
	if err != nil {
		return usagef("check: %v", err)
	}
	res := checkBody(body, st)
	if *asJSON {
		out, _ := json.MarshalIndent(res, "", "  ")
		fmt.Fprintln(env.stdout, string(out))
	} else {
		printCheck(env, res)
	}
	if !res.Valid {
		return failedError{}
	}
	return nil
}

type checkResult struct {
	Valid         bool        `json:"valid"`
	Error         string      `json:"error,omitempty"`
	Action        string      `json:"action,omitempty"`
	Modifications []string    `json:"modifications"`
	Reply         string      `json:"reply"`
	ReplyNoTemp   string      `json:"reply_without_tempfail,omitempty"`
	Lints         []wire.Lint `json:"lints"`
}

func checkBody(body []byte, stage wire.Stage) checkResult {
	r, lints, err := wire.Inspect(body, stage)
	res := checkResult{Modifications: []string{}, Lints: lints}
	if res.Lints == nil {
		res.Lints = []wire.Lint{}
	}
	if err != nil {
		res.Error = err.Error()
		res.Reply = simulator.ReplyHookTempFail + " (tempFailOnError true, the default)"
		res.ReplyNoTemp = "the hook is skipped and the next one runs (tempFailOnError false)"
		return res
	}
	res.Valid = true
	res.Action = string(r.Action)
	for _, m := range r.Modifications {
		res.Modifications = append(res.Modifications, simulator.DescribeModification(m))
	}
	res.Reply = simulator.StageReply(stage, r)
	return res
}

func printCheck(env *cliEnv, res checkResult) {
	w := env.stdout
	if res.Valid {
		fmt.Fprintf(w, "valid: action %s, %d modifications\n", res.Action, len(res.Modifications))
		for _, m := range res.Modifications {
			fmt.Fprintf(w, "  %s\n", m)
		}
	} else {
		fmt.Fprintf(w, "invalid: %s\n", res.Error)
	}
	fmt.Fprintf(w, "the client hears: %s\n", res.Reply)
	if res.ReplyNoTemp != "" {
		fmt.Fprintf(w, "otherwise: %s\n", res.ReplyNoTemp)
	}
	for _, l := range res.Lints {
		fmt.Fprintf(w, "lint %s\n", l)
	}
}
