package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/recorder/export"
	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/store"
)

const exportExamples = `  # capture once, commit it, test it forever
  hooksim export 42 --as session -o tests/spam.yaml
  hooksim test --url http://127.0.0.1:8025/ --stages all tests/

  hooksim export 42 --as curl > replay.sh
  HOOKSIM_BEARER=token sh replay.sh       # or HOOKSIM_BASIC=user:password; stops at the first HTTP error
  hooksim export 42 --as json > run-42.json
`

func runExport(ctx context.Context, env *cliEnv, args []string) error {
	var db dbFlags
	fs := newFlagSet("export", "[flags] RUN\n\nWrites a recorded run as a session script (with expectations taken from what was recorded), curl commands, or JSON.\n"+
		"A run of hooksim proxy (a real Stalwart's requests for one SMTP connection) becomes the session those requests\n"+
		"describe, rebuilt from them; the script's comment says what had to be guessed.", exportExamples, env)
	db.register(fs, false)
	as := fs.String("as", "session", "session, curl or json (default: from -o's extension, .json or .sh, else session)")
	outPath := fs.String("o", "", "write to this file instead of standard output")
	expectLints := fs.Bool("expect-lints", false, "with --as session: also expect the lint codes reported then (off: fixing a lint must not fail a test)")
	name := fs.String("name", "", "with --as session: the script's name (default: the run's session name; an smtp run exported\nwith -o FILE takes FILE's name without its extension)")
	inline := fs.Bool("inline", false, "with --as session -o FILE: keep an smtp run's messages inside the script instead of writing\neach to FILE-N.eml beside it")
	partial := fs.Bool("partial", false, "with --as session: export a run that did not finish (running, or interrupted); its script\nexpects only what was played before it stopped")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("export takes one RUN id")
	}
	asGiven := false
	fs.Visit(func(f *flag.Flag) { asGiven = asGiven || f.Name == "as" })
	if !asGiven {
		// -o run-42.json means JSON, -o replay.sh curl commands.
		switch strings.ToLower(filepath.Ext(*outPath)) {
		case ".json":
			*as = "json"
		case ".sh":
			*as = "curl"
		}
	}
	id, err := parseRunID(rest[0])
	if err != nil {
		return err
	}
	if *as != "session" && *as != "curl" && *as != "json" {
		return usagef("--as wants session, curl or json, got %q", *as)
	}
	if *expectLints && *as != "session" {
		return usagef("--expect-lints goes with --as session")
	}
	st, err := db.openExisting(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	if *as == "json" {
		return exportJSON(ctx, env, st, id, *outPath)
	}
	loaded, err := recorder.Load(ctx, st, id)
	if errors.Is(err, store.ErrNotFound) {
		return usagef("no run #%d in %s", id, st.Path())
	} else if err != nil {
		return err
	}
	if *name != "" && *as != "session" {
		return usagef("--name goes with --as session")
	}
	if *inline && (*as != "session" || *outPath == "") {
		return usagef("--inline goes with --as session -o FILE")
	}
	var out []byte
	var emls []emlFile
	if *as == "session" {
		if o := loaded.Run.Outcome; (o == store.OutcomeRunning || o == store.OutcomeInterrupted) && !*partial {
			return usagef("run #%d is %s: it did not finish, so a script made from it would expect only the steps played before it stopped (--partial exports it anyway)", id, o)
		} else if o == store.OutcomeRunning || o == store.OutcomeInterrupted {
			fmt.Fprintf(env.stderr, "hooksim: run #%d is %s: the script expects only the steps played before it stopped\n", id, o)
		}
		opts := export.SessionOptions{Lints: *expectLints}
		if loaded.Session != nil {
			switch {
			case *name != "":
				loaded.Session.Name = *name
			case *outPath != "" && loaded.Run.Source == store.SourceSMTP:
				// "smtp 127.0.0.1:40312" says nothing in a test suite.
				loaded.Session.Name = strings.TrimSuffix(filepath.Base(*outPath), filepath.Ext(*outPath))
			}
		}
		if *outPath != "" && !*inline && loaded.Run.Source == store.SourceSMTP && loaded.Session != nil {
			emls = messageFiles(loaded, *outPath)
			opts.MessageFile = func(i int) string {
				for _, f := range emls {
					if f.step == i {
						return f.name
					}
				}
				return ""
			}
		}
		if out, err = export.Session(loaded, opts); err != nil {
			if loaded.Run.Source == store.SourceProxy {
				// Requests that make no session: the run is the bad input.
				return usageError{err}
			}
			return err
		}
	} else {
		out = export.Curl(loaded)
	}
	if *outPath == "" {
		_, err = env.stdout.Write(out)
		return err
	}
	if dir := filepath.Dir(*outPath); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return usagef("export: %v", err)
		}
	}
	for _, f := range emls {
		p := filepath.Join(filepath.Dir(*outPath), f.name)
		if err := os.WriteFile(p, f.raw, 0o644); err != nil {
			return usagef("export: %v", err)
		}
		fmt.Fprintf(env.stderr, "wrote %s\n", p)
	}
	if err := os.WriteFile(*outPath, out, 0o644); err != nil {
		return usagef("export: %v", err)
	}
	fmt.Fprintf(env.stderr, "wrote %s\n", *outPath)
	return nil
}

// emlFile is a message an export writes beside its script.
type emlFile struct {
	step int
	name string
	raw  []byte
}

// messageFiles names a file for each message of the run's script, after
// the script's file: tests/x.yaml gets x-1.eml, x-2.eml... beside it.
func messageFiles(l *recorder.Loaded, outPath string) []emlFile {
	base := strings.TrimSuffix(filepath.Base(outPath), filepath.Ext(outPath))
	var files []emlFile
	for i, st := range l.Session.Steps {
		if st.Kind.IsMessage() && st.Message != nil {
			files = append(files, emlFile{step: i, name: fmt.Sprintf("%s-%d.eml", base, len(files)+1), raw: st.Message.Raw})
		}
	}
	return files
}

// exportJSON writes run id as one report (docs/report.md), the same
// document as the web API's export as=json, to outPath (standard output
// when ""). It is streamed (report.WriteRecorded): a large message or
// many exchanges are not built into one document in memory first.
func exportJSON(ctx context.Context, env *cliEnv, st *store.Store, id int64, outPath string) error {
	rows, err := st.ReadRun(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return usagef("no run #%d in %s", id, st.Path())
	} else if err != nil {
		return err
	}
	if outPath == "" {
		return report.WriteRecorded(env.stdout, rows)
	}
	if dir := filepath.Dir(outPath); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return usagef("export: %v", err)
		}
	}
	f, err := os.Create(outPath)
	if err != nil {
		return usagef("export: %v", err)
	}
	if err := report.WriteRecorded(f, rows); err != nil {
		f.Close()
		return fmt.Errorf("export %s: %w", outPath, err)
	}
	if err := f.Close(); err != nil {
		return usagef("export: %v", err)
	}
	fmt.Fprintf(env.stderr, "wrote %s\n", outPath)
	return nil
}
