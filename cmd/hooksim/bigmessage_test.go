package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bigMessage is a message of about mib MiB as bench/rss.sh makes it: a
// text part and a base64 attachment of pseudo-random bytes, CRLF lines.
func bigMessage(mib int) []byte {
	var b bytes.Buffer
	b.WriteString("Date: Mon, 02 Mar 2026 10:01:44 +0100\r\nMessage-ID: <big@example.net>\r\n")
	b.WriteString("From: Alice Martin <alice@example.net>\r\nTo: Bob Lee <bob@example.org>\r\nSubject: big\r\n")
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n")
	b.WriteString("--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe file is attached.\r\n\r\n")
	b.WriteString("--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	r := rand.New(rand.NewPCG(1, 2))
	line := make([]byte, 57)
	for n := mib * 1048576 * 57 / 78; n > 0; n -= len(line) {
		for i := range line {
			line[i] = byte(r.Uint32())
		}
		b.WriteString(base64.StdEncoding.EncodeToString(line[:min(n, len(line))]))
		b.WriteString("\r\n")
	}
	b.WriteString("--b--\r\n")
	return b.Bytes()
}

// acceptHook is a loopback hook that reads each request whole and
// accepts it with one added header.
func acceptHook(tb testing.TB) string {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Checked","value":"yes"}]}`)
	}))
	tb.Cleanup(srv.Close)
	return srv.URL + "/"
}

// BenchmarkRunBigMessage runs `hooksim run` in-process on one 30 MiB
// message, unrecorded, with and without --json, and reports the bytes
// allocated per run (go test -bench BigMessage -benchmem -memprofile).
func BenchmarkRunBigMessage(b *testing.B) {
	url := acceptHook(b)
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "message.eml"), bigMessage(30), 0o644); err != nil {
		b.Fatal(err)
	}
	script := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(script, []byte("data: message.eml\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"unrecorded", "json"} {
		b.Run(mode, func(b *testing.B) {
			args := []string{"run", "--url", url, "-q", "--no-record", script}
			if mode == "json" {
				args = append(args, "--json", filepath.Join(dir, "report.json"))
			}
			b.ReportAllocs()
			for b.Loop() {
				var out, errOut bytes.Buffer
				env := &cliEnv{stdout: &out, stderr: &errOut, stdin: strings.NewReader(""),
					getenv: func(string) (string, bool) { return "", false }}
				if code := runMain(context.Background(), env, args); code != exitOK {
					b.Fatal(fmt.Sprintf("exit %d: %s%s", code, out.String(), errOut.String()))
				}
			}
		})
	}
}
