package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/store"
)

const exportExamples = `  # capture once, commit it, test it forever
  hooksim export 42 --as session -o tests/spam.yaml
  hooksim test --url http://127.0.0.1:8025/ --stages all tests/

  hooksim export 42 --as curl > replay.sh
  hooksim export 42 --as json > run-42.json
`

func runExport(ctx context.Context, env *cliEnv, args []string) error {
	var db dbFlags
	fs := newFlagSet("export", "[flags] RUN\n\nWrites a recorded run as a session script (with expectations taken from what was recorded), curl commands, or JSON.", exportExamples, env.stderr)
	db.register(fs, false)
	as := fs.String("as", "session", "session, curl or json")
	outPath := fs.String("o", "", "write to this file instead of standard output")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("export takes one RUN id")
	}
	id, err := parseRunID(rest[0])
	if err != nil {
		return err
	}
	if *as != "session" && *as != "curl" && *as != "json" {
		return usagef("--as wants session, curl or json, got %q", *as)
	}
	st, err := db.open(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	loaded, err := recorder.Load(ctx, st, id)
	if errors.Is(err, store.ErrNotFound) {
		return usagef("no run #%d in %s", id, st.Path())
	} else if err != nil {
		return err
	}
	var out []byte
	switch *as {
	case "session":
		out, err = exportSession(loaded)
	case "curl":
		out = exportCurl(loaded)
	case "json":
		out, err = exportJSON(loaded)
	}
	if err != nil {
		return err
	}
	if *outPath == "" {
		_, err = env.stdout.Write(out)
		return err
	}
	if err := os.WriteFile(*outPath, out, 0o644); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(env.stderr, "wrote %s\n", *outPath)
	return nil
}

func exportSession(l *recorder.Loaded) ([]byte, error) {
	if l.Session == nil {
		return nil, fmt.Errorf("export: run #%d has no session script recorded (a replay of single exchanges?)", l.Run.ID)
	}
	s := simulator.Expectations(l.Session, l.Result)
	comment := fmt.Sprintf("Exported by hooksim from run #%d (%s), played %s.\nThe expectations are what the hook answered then: hooksim test fails where it answers differently.",
		l.Run.ID, l.Run.SessionFile, l.Run.Started.UTC().Format(time.RFC3339))
	return sessions.MarshalWith(s, sessions.MarshalOptions{Comment: comment})
}

func exportJSON(l *recorder.Loaded) ([]byte, error) {
	rep := buildReport(nil, []*simulator.SessionResult{l.Result})
	var hooks []map[string]any
	if err := json.Unmarshal(l.Run.Hooks, &hooks); err == nil {
		rep.Hooks = hooks
	}
	data, err := json.MarshalIndent(struct {
		Run runJSON `json:"run"`
		*report
	}{newRunJSON(l.Run), rep}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return append(data, '\n'), nil
}

// exportCurl writes one runnable curl command per exchange, sending the
// recorded body byte for byte with the recorded headers. Credentials were
// never recorded: they come from HOOKSIM_BASIC / HOOKSIM_BEARER.
func exportCurl(l *recorder.Loaded) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/sh\n# Hook calls of run #%d (%s), exported by hooksim.\nset -e\n", l.Run.ID, l.Run.SessionName)
	for _, st := range l.Result.Steps {
		for _, ex := range st.Exchanges {
			writeCurl(&b, ex)
		}
	}
	return []byte(b.String())
}

func writeCurl(w io.Writer, ex *simulator.Exchange) {
	answer := ex.Outcome
	if ex.Call.Status != 0 {
		answer = fmt.Sprintf("%d, %s", ex.Call.Status, ex.Outcome)
	}
	fmt.Fprintf(w, "\n# exchange %d: %s stage, hook %s (answered %s)\n", ex.Seq, ex.Stage, ex.HookID, answer)
	fmt.Fprintf(w, "curl -sS -X POST %s \\\n  -H 'User-Agent:'", shellQuote(ex.URL))
	for _, h := range ex.RequestHdrs {
		switch strings.ToLower(h.Name) {
		case "host", "content-length":
			continue // curl sets them from the URL and the body
		case "authorization":
			scheme, _, _ := strings.Cut(h.Value, " ")
			variable := "HOOKSIM_BEARER"
			if strings.EqualFold(scheme, "basic") {
				variable = "HOOKSIM_BASIC" // base64 of user:password
			}
			fmt.Fprintf(w, " \\\n  -H \"%s: %s ${%s:?set %s}\"", h.Name, scheme, variable, variable)
			continue
		}
		fmt.Fprintf(w, " \\\n  -H %s", shellQuote(h.Name+": "+h.Value))
	}
	fmt.Fprintf(w, " \\\n  --data-binary %s\n", shellQuote(string(ex.Request)))
}

// shellQuote quotes s for a POSIX shell, byte for byte.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
