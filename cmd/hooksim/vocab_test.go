package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/hooksim/hooksim/store"
	"github.com/hooksim/hooksim/web"
)

// TestCLIAndWebGiveOneDocument records runs with the CLI, serves the same
// database with the web view on a loopback port, and checks that a run is
// one document wherever it is read: export --as json and the web's
// export are the same bytes, the web's run is the export's session, and
// runs --json lists what the web's runs list holds.
func TestCLIAndWebGiveOneDocument(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	mustRun(t, data, "run", "--no-expect", "--url", exampleHook(t), "--stages", "all", "bundled:spam-tagged", "bundled:eight-bit")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := store.Open(ctx, filepath.Join(data, "hooksim", "hooksim.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := web.New(web.Config{Store: st, Listen: "127.0.0.1:0", Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	defer func() { cancel(); <-done }()
	base := "http://" + srv.Addr().String()
	get := func(path string) []byte {
		t.Helper()
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v\n%s", path, res.StatusCode, err, b)
		}
		return b
	}
	decode := func(what string, b []byte) any {
		t.Helper()
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v\n%s", what, err, b)
		}
		return v
	}

	for _, id := range []int{1, 2} {
		t.Run(fmt.Sprint("run ", id), func(t *testing.T) {
			cli := mustRun(t, data, "export", fmt.Sprint(id), "--as", "json")
			webExport := get(fmt.Sprintf("/api/v1/runs/%d/export?as=json", id))
			if cli != string(webExport) {
				t.Errorf("export --as json and the web's export differ:\n%s\n----\n%s", cli, webExport)
			}
			file := filepath.Join(t.TempDir(), "out", "run.json")
			code, _, errOut := runCLIData(t, data, "", "export", fmt.Sprint(id), "--as", "json", "-o", file)
			if written, err := os.ReadFile(file); code != exitOK || err != nil || string(written) != cli || errOut != "wrote "+file+"\n" {
				t.Errorf("export -o: exit %d, %v, stderr %q; the file is the same document: %t", code, err, errOut, string(written) == cli)
			}
			doc := decode("export", []byte(cli)).(map[string]any)
			sessions := doc["sessions"].([]any)
			if len(sessions) != 1 {
				t.Fatalf("export has %d sessions", len(sessions))
			}
			webRun := decode("web run", get(fmt.Sprintf("/api/v1/runs/%d", id)))
			if !reflect.DeepEqual(webRun, sessions[0]) {
				t.Errorf("the web's run is not the export's session:\n%v\n----\n%v", webRun, sessions[0])
			}
			run := sessions[0].(map[string]any)["run"].(map[string]any)
			if run["id"] != float64(id) || run["exchanges"] != float64(5) {
				t.Errorf("run %v", run)
			}
		})
	}
	cliRuns := decode("runs --json", []byte(mustRun(t, data, "runs", "--json")))
	webRuns := decode("web runs", get("/api/v1/runs")).(map[string]any)["runs"]
	if !reflect.DeepEqual(cliRuns, webRuns) {
		t.Errorf("runs --json and the web's runs differ:\n%v\n----\n%v", cliRuns, webRuns)
	}
}
