package report_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/store"
)

// recordInto plays script (with msg as its m.eml) against url at every
// stage, tempFailOnError as given, and records it in st; it returns the
// run's id.
func recordInto(t *testing.T, st *store.Store, url, script string, msg []byte, tempFail bool) int64 {
	t.Helper()
	h, err := hookconf.FromFlags(hookconf.FlagSpec{URL: url, Stages: []string{"all"}, NoTempFail: !tempFail})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := sessions.Parse("s.yaml", []byte(script), func(string) ([]byte, error) { return msg, nil })
	if err != nil {
		t.Fatal(err)
	}
	_, id := playRecorded(t, st, h, sess)
	return id
}

// refusedURL is a loopback URL nothing listens on.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/"
}

// TestWriteRecordedIsRecordedJSON records several runs in one real store
// against real loopback hooks (large text and binary messages, a large
// replaceContents, hook errors with binary bodies, a refused hook, lints
// counted, a run whose last steps are missing so its exchanges are
// unstepped) and checks that the streamed document of each is byte for
// byte the one built whole (Recorded(FromRows(...)).JSON(), what the web
// API answers).
func TestWriteRecordedIsRecordedJSON(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "hooksim.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })

	text := bigText(300 << 10)
	binary := append(bigText(200<<10), 0xff, 0xfe, '\r', '\n')
	small := []byte("From: a@example.net\r\nTo: b@example.org\r\nSubject: small\r\n\r\nhello\r\n")
	replace := `{"action":"accept","modifications":[{"type":"replaceContents","value":` + string(mustJSON(t, string(bigText(100<<10)))) + `},{"type":"addHeader","name":"X-A","value":"<&>"}]}`
	dup := `{"action":"accept","response":{"status":250,"enhancedStatus":"2.0.0"},"modifications":[` +
		strings.TrimSuffix(strings.Repeat(`{"type":"addRecipient","value":"x@example.org"},`, 50), ",") + `]}`
	accept := hook(t, false, func(string) (int, []byte) { return 200, []byte(`{"action":"accept"}`) })
	replacer := hook(t, false, func(stage string) (int, []byte) {
		if stage == "data" {
			return 200, []byte(replace)
		}
		return 200, []byte(`{"action":"accept"}`)
	})
	linter := hook(t, false, func(stage string) (int, []byte) { return 200, []byte(dup) })
	failing := hook(t, false, func(stage string) (int, []byte) {
		if stage == "rcpt" {
			return 500, bytes.Repeat([]byte{0xff, 'a'}, 50<<10)
		}
		return 200, []byte(`{"action":"accept"}`)
	})
	rejecter := hook(t, false, func(stage string) (int, []byte) {
		return 200, []byte(`{"action":"reject","response":{"status":550,"enhanced_status":"5.7.1","message":"` + strings.Repeat("x\\u0001", 40<<10) + `"}}`)
	})
	oneMessage := "data: {file: m.eml, lenient: true, raw: true}\n"
	twoMessages := "steps:\n- ehlo: client.example.net\n- mail: a@example.net\n- rcpt: b@example.org\n- data: {file: m.eml, lenient: true, raw: true}\n" +
		"- mail: c@example.net\n- rcpt: d@example.org\n- data: {file: m.eml, lenient: true, raw: true}\n"
	runs := []struct {
		name     string
		url      string
		script   string
		msg      []byte
		tempFail bool
	}{
		{"large text message", accept.URL, oneMessage, text, false},
		{"large binary message", accept.URL, oneMessage, binary, false},
		{"large replaceContents", replacer.URL, oneMessage, text, false},
		{"two transactions, binary", replacer.URL, twoMessages, binary, false},
		{"lints counted", linter.URL, twoMessages, small, false},
		{"hook error, binary body", failing.URL, oneMessage, small, true},
		{"large rejection", rejecter.URL, oneMessage, text, false},
		{"refused", refusedURL(t), oneMessage, small, true},
	}
	ids := make([]int64, len(runs))
	for i, r := range runs {
		ids[i] = recordInto(t, st, r.url, r.script, r.msg, r.tempFail)
	}
	for i, r := range runs {
		rows, err := st.ReadRun(ctx, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		variants := []struct {
			name string
			rows *store.RunRows
		}{{"whole", rows}}
		last := -1 // the last step row that made a hook call
		for k := range rows.Steps {
			for _, e := range rows.Exchanges {
				if e.StepIndex == rows.Steps[k].Index {
					last = k
				}
			}
		}
		if last >= 0 {
			// As a killed run leaves it: its last steps never written,
			// their exchanges unstepped.
			cut := *rows
			cut.Steps = rows.Steps[:last]
			variants = append(variants, struct {
				name string
				rows *store.RunRows
			}{"steps cut", &cut})
		}
		for _, v := range variants {
			t.Run(r.name+"/"+v.name, func(t *testing.T) {
				s, err := report.FromRows(v.rows.Run, v.rows.Steps, v.rows.Exchanges, v.rows.Messages)
				if err != nil {
					t.Fatal(err)
				}
				want, err := report.Recorded(s).JSON()
				if err != nil {
					t.Fatal(err)
				}
				var got bytes.Buffer
				if err := report.WriteRecorded(&got, v.rows); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), want) {
					i := 0
					for i < min(got.Len(), len(want)) && got.Bytes()[i] == want[i] {
						i++
					}
					t.Fatalf("documents differ at byte %d of %d/%d:\ngot  %q\nwant %q", i, got.Len(), len(want),
						got.Bytes()[max(0, i-80):min(got.Len(), i+80)], want[max(0, i-80):min(len(want), i+80)])
				}
				if v.name == "steps cut" && len(s.Unstepped) == 0 {
					t.Error("cutting the steps left no unstepped exchange: the variant tests nothing")
				}
			})
		}
	}
	// The runs cover what they claim: large bodies (spliced), lints
	// counted, errors.
	all := func(i int) string {
		var b bytes.Buffer
		rows, err := st.ReadRun(ctx, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := report.WriteRecorded(&b, rows); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	for i, want := range map[int]string{
		1: `"base64": "`, 3: `"base64": "`, 4: `"count": `, 5: `"body_base64": "`, 7: `"class": "refused"`,
	} {
		if !strings.Contains(all(i), want) {
			t.Errorf("%s: document lacks %s", runs[i].name, want)
		}
	}
}

// TestWriteRecordedErrors checks the two errors: a damaged lint column
// is reported, naming the run and the step, before a byte is written;
// the writer's error is returned, wrapped, when it fails mid-document.
func TestWriteRecordedErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "hooksim.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := hook(t, false, func(string) (int, []byte) { return 200, []byte(`{"action":"accept"}`) })
	id := recordInto(t, st, srv.URL, "data: {file: m.eml, lenient: true, raw: true}\n", bigText(200<<10), false)
	rows, err := st.ReadRun(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	damaged := *rows
	damaged.Steps = append([]store.Step{}, rows.Steps...)
	damaged.Steps[1].Lints = []byte("{not json")
	var out bytes.Buffer
	err = report.WriteRecorded(&out, &damaged)
	if want := fmt.Sprintf("report: run %d: step %d: lints:", id, damaged.Steps[1].Index); err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("damaged lints: %v, want %q...", err, want)
	}
	if out.Len() != 0 {
		t.Errorf("damaged lints: %d bytes written before the error", out.Len())
	}
	for _, n := range []int{0, 100, 150 << 10} {
		err := report.WriteRecorded(&failAfter{n: n}, rows)
		if err == nil || !strings.Contains(err.Error(), "report: write: disk full") {
			t.Errorf("writer failing after %d bytes: %v", n, err)
		}
	}
}
