//go:build unix

package doctest

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/hooksim/hooksim/docs/internal/hooktest"
)

const (
	recipesDoc = "../recipes.md"
	// docPort is the port the recipes use; tests replace it with a free one.
	docPort = "8025"
	// moduleRoot is the repository, from this package's folder.
	moduleRoot = "../.."
)

// TestRecipeFilesShown: each block of recipes.md marked "file: PATH" is
// that file, byte for byte, so what the page shows is what is tested.
func TestRecipeFilesShown(t *testing.T) {
	t.Parallel()
	files, paths := marked(readBlocks(t, recipesDoc), "file")
	if len(files) != 2 {
		t.Fatalf("%d file blocks in %s, want 2 (hook.py, gohook/main.go)", len(files), recipesDoc)
	}
	for i, b := range files {
		want, err := os.ReadFile(filepath.Join("..", paths[i]))
		if err != nil {
			t.Fatalf("%s: %v", b.Where(), err)
		}
		if b.Body != string(want) {
			t.Errorf("%s: the block differs from %s; paste the file again", b.Where(), paths[i])
		}
	}
}

// startHook starts a recipe hook process that prints "... listening on
// URL" first, and returns the URL. The process is killed when the test
// ends.
func startHook(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("%s %v: no address printed (%v); stderr:\n%s", name, args, err, stderr.String())
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	_, url, ok := strings.Cut(strings.TrimSpace(line), " listening on ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("%s printed %q, want \"... listening on http://127.0.0.1:PORT/\"", name, line)
	}
	return url
}

func needPython(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
}

// TestPythonHook runs recipes/hook.py as a real python3 process on a free
// loopback port and plays every bundled session against it at every stage.
func TestPythonHook(t *testing.T) {
	t.Parallel()
	needPython(t)
	url := startHook(t, "..", "python3", "recipes/hook.py", "0")
	hooktest.CheckRecipe(t, hooktest.Play(t, url), "hook.py")

	// What is not a Stalwart request gets an error status, which Stalwart
	// counts as a hook error, and the hook keeps serving.
	for _, tt := range []struct {
		method, body string
		status       int
	}{
		{http.MethodPost, "{", http.StatusBadRequest},
		{http.MethodPost, `{"context":{"stage":"mail"}}`, http.StatusBadRequest},
		{http.MethodPost, `[1]`, http.StatusBadRequest},
		{http.MethodGet, "", http.StatusNotImplemented},
		{http.MethodPost, `{"context":{"stage":"connect"}}`, http.StatusOK},
	} {
		req, err := http.NewRequest(tt.method, url, strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s %q: status %d, want %d", tt.method, tt.body, resp.StatusCode, tt.status)
		}
	}
}

// githubWorkflow is the part of a GitHub Actions workflow the recipe test reads.
type githubWorkflow struct {
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]struct {
		RunsOn string `yaml:"runs-on"`
		Steps  []struct {
			Name string            `yaml:"name"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			If   string            `yaml:"if"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// gitlabJob is one job of a .gitlab-ci.yml.
type gitlabJob struct {
	Image     string   `yaml:"image"`
	Script    []string `yaml:"script"`
	Artifacts struct {
		When    string   `yaml:"when"`
		Paths   []string `yaml:"paths"`
		Reports struct {
			JUnit string `yaml:"junit"`
		} `yaml:"reports"`
	} `yaml:"artifacts"`
}

// junitReport is the part of a JUnit XML report the test reads.
type junitReport struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
}

// ciBlock returns the YAML of the block of recipes.md marked "ci: name".
func ciBlock(t *testing.T, name string) block {
	t.Helper()
	blocks, names := marked(readBlocks(t, recipesDoc), "ci")
	for i, b := range blocks {
		if names[i] == name {
			return b
		}
	}
	t.Fatalf("no block marked ci: %s in %s", name, recipesDoc)
	return block{}
}

// testLine finds the one "hooksim test" command in lines, checks that it
// uses the recipe's port, the stages, and a JUnit report, and returns the
// report's path.
func testLine(t *testing.T, where string, lines []string) string {
	t.Helper()
	var found []string
	for _, l := range lines {
		for _, cmd := range strings.Split(l, "\n") {
			if strings.HasPrefix(strings.TrimSpace(cmd), "hooksim test ") {
				found = append(found, strings.TrimSpace(cmd))
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s: %d hooksim test commands, want 1: %q", where, len(found), found)
	}
	m := regexp.MustCompile(`^hooksim test --url http://127\.0\.0\.1:` + docPort + `/ --stages all --junit (\S+) tests/$`).FindStringSubmatch(found[0])
	if m == nil {
		t.Fatalf("%s: %q is not the command the recipe documents", where, found[0])
	}
	return m[1]
}

// ciEnv is what the CI recipes need on this machine: a hooksim and a
// gohook built from this tree, in bin, first on PATH.
type ciEnv struct {
	bin    string
	env    []string
	gohook string
}

func newCIEnv(t *testing.T) *ciEnv {
	t.Helper()
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin, "./cmd/hooksim", "./docs/recipes/gohook")
	build.Dir = moduleRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return &ciEnv{bin: bin, gohook: filepath.Join(bin, "gohook"),
		env: append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "XDG_DATA_HOME="+t.TempDir())}
}

// hooksim runs the built hooksim in dir and returns its output and exit code.
func (c *ciEnv) hooksim(t *testing.T, dir string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(filepath.Join(c.bin, "hooksim"), args...)
	cmd.Dir, cmd.Env = dir, c.env
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return string(out), exit.ExitCode()
	}
	if err != nil {
		t.Fatalf("hooksim %v: %v", args, err)
	}
	return string(out), 0
}

// exportTests records hello, blocked-sender and eight-bit played against
// the hook at url, and exports the runs as dir/tests/*.yaml: the sessions
// a user commits, expecting what that hook answers.
func (c *ciEnv) exportTests(t *testing.T, dir, url string) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "history.db")
	out, code := c.hooksim(t, dir, "run", "--db", db, "--url", url, "--stages", "all",
		"bundled:hello", "bundled:blocked-sender", "bundled:eight-bit")
	// The bundled expectations are the example hook's: 1 is expected.
	if code > 1 || !strings.Contains(out, "recorded as run #1-#3") {
		t.Fatalf("hooksim run: exit %d\n%s", code, out)
	}
	if err := os.MkdirAll(filepath.Join(dir, "tests"), 0o755); err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 3; n++ {
		out, code := c.hooksim(t, dir, "export", "--db", db, fmt.Sprint(n), "--as", "session", "-o", filepath.Join("tests", fmt.Sprintf("run-%d.yaml", n)))
		if code != 0 {
			t.Fatalf("hooksim export %d: exit %d\n%s", n, code, out)
		}
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// shell runs script with bash -eo pipefail in dir, as both CI systems do,
// in a process group of its own, so that what it starts in the background
// is killed when the test ends.
func (c *ciEnv) shell(t *testing.T, dir, script string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
	cmd.Dir, cmd.Env = dir, c.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	t.Cleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) })
	err := cmd.Wait()
	return out.String(), err
}

// checkReport reads a JUnit report and checks its totals.
func checkReport(t *testing.T, path string, tests int, failed bool) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the JUnit report: %v", err)
	}
	var r junitReport
	if err := xml.Unmarshal(data, &r); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if r.Tests != tests || (r.Failures+r.Errors > 0) != failed {
		t.Errorf("%s: %d tests, %d failures, %d errors; want %d tests, failed %v\n%s", path, r.Tests, r.Failures, r.Errors, tests, failed, data)
	}
}

// TestCIRecipes checks the GitHub Actions and GitLab CI recipes of
// recipes.md: their YAML parses with the keys each platform reads, and
// their commands, but for go install (a hooksim built from this tree is on
// PATH), run as written in a folder laid out as the recipe says, with
// tests exported from the same hook: hooksim test passes and writes the
// JUnit report the platform publishes. A hook that answers differently
// makes the same command fail.
func TestCIRecipes(t *testing.T) {
	t.Parallel()
	c := newCIEnv(t)

	t.Run("transcript", func(t *testing.T) {
		blocks, args := marked(readBlocks(t, recipesDoc), "transcript")
		if len(blocks) != 1 {
			t.Fatalf("%d transcript blocks, want 1", len(blocks))
		}
		port := freePort(t)
		startHook(t, t.TempDir(), c.gohook, "-listen", "127.0.0.1:"+port)
		out, code := c.hooksim(t, t.TempDir(), append([]string{"run", "--no-record", "--url", "http://127.0.0.1:" + port + "/"}, strings.Fields(args[0])...)...)
		// recipes.md: both play, exit 0, the example hook's expectations unchecked.
		if code != 0 || !strings.Contains(out, "2 sessions played, no expectations checked") {
			t.Errorf("hooksim run: exit %d, want 0 and the expectations unchecked:\n%s", code, out)
		}
		// With --expect, hello fails three of them.
		out2, code2 := c.hooksim(t, t.TempDir(), append([]string{"run", "--no-record", "--expect", "--url", "http://127.0.0.1:" + port + "/"}, strings.Fields(args[0])...)...)
		if code2 != 1 || !strings.Contains(out2, "== blocked-sender: PASS") || !strings.Contains(out2, "== hello: FAIL (3 failures)") {
			t.Errorf("hooksim run --expect: exit %d, want 1, blocked-sender passed and hello with 3 failures:\n%s", code2, out2)
		}
		if re := transcriptRegexp(strings.ReplaceAll(blocks[0].Body, docPort, port)); !re.MatchString(out) {
			t.Errorf("%s: the transcript does not match %s:\n%s", blocks[0].Where(), re, out)
		}
	})

	t.Run("github", func(t *testing.T) {
		needPython(t)
		b := ciBlock(t, "github")
		var wf githubWorkflow
		if err := yaml.Unmarshal([]byte(b.Body), &wf); err != nil {
			t.Fatalf("%s: %v", b.Where(), err)
		}
		if len(wf.Jobs) != 1 || wf.Permissions["checks"] != "write" {
			t.Fatalf("%s: %d jobs, permissions %v; want 1 job and checks: write", b.Where(), len(wf.Jobs), wf.Permissions)
		}
		repo := t.TempDir()
		src, err := os.ReadFile("../recipes/hook.py")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, "hook.py"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		c.exportTests(t, repo, startHook(t, repo, "python3", "hook.py", "0"))
		port := freePort(t)
		for _, job := range wf.Jobs {
			var runs []string
			published, uploaded := false, false
			for _, st := range job.Steps {
				runs = append(runs, st.Run)
				if strings.HasPrefix(st.Uses, "mikepenz/action-junit-report@") {
					published = st.If == "always()" && st.With["report_paths"] == "report.xml"
				}
				if strings.HasPrefix(st.Uses, "actions/upload-artifact@") {
					uploaded = st.If == "always()" && strings.Contains(st.With["path"], "report.xml")
				}
			}
			report := testLine(t, b.Where(), runs)
			if report != "report.xml" || !published || !uploaded {
				t.Errorf("%s: report %s, published %v, uploaded %v; want report.xml published and uploaded always", b.Where(), report, published, uploaded)
			}
			for _, st := range job.Steps {
				if st.Run == "" || strings.HasPrefix(st.Run, "go install github.com/hooksim/hooksim/cmd/hooksim@") {
					continue
				}
				out, err := c.shell(t, repo, strings.ReplaceAll(st.Run, docPort, port))
				if err != nil {
					t.Fatalf("%s: step %q: %v\n%s", b.Where(), st.Name, err, out)
				}
				if strings.Contains(st.Run, "hooksim test") && !strings.Contains(out, "3 passed, 0 failed") {
					t.Errorf("step %q:\n%s", st.Name, out)
				}
			}
			checkReport(t, filepath.Join(repo, report), 3, false)
		}
	})

	t.Run("gitlab", func(t *testing.T) {
		b := ciBlock(t, "gitlab")
		var jobs map[string]gitlabJob
		if err := yaml.Unmarshal([]byte(b.Body), &jobs); err != nil {
			t.Fatalf("%s: %v", b.Where(), err)
		}
		job, ok := jobs["hooksim"]
		if !ok || len(jobs) != 1 {
			t.Fatalf("%s: jobs %v, want one job named hooksim", b.Where(), jobs)
		}
		report := testLine(t, b.Where(), job.Script)
		if job.Artifacts.Reports.JUnit != report || job.Artifacts.When != "always" {
			t.Errorf("%s: artifacts %+v; want reports: junit: %s, when: always", b.Where(), job.Artifacts, report)
		}
		// The repository the recipe describes: a Go hook in cmd/hook.
		repo := t.TempDir()
		src, err := os.ReadFile("../recipes/gohook/main.go")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(repo, "cmd", "hook"), 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range map[string][]byte{"go.mod": []byte("module example.com/hook\n\ngo 1.26\n"), "cmd/hook/main.go": src} {
			if err := os.WriteFile(filepath.Join(repo, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		c.exportTests(t, repo, startHook(t, repo, c.gohook, "-listen", "127.0.0.1:0"))
		var script []string
		for _, l := range job.Script {
			if !strings.HasPrefix(l, "go install github.com/hooksim/hooksim/cmd/hooksim@") {
				script = append(script, l)
			}
		}
		if len(script) != len(job.Script)-1 {
			t.Fatalf("%s: no go install line for hooksim", b.Where())
		}
		out, err := c.shell(t, repo, strings.ReplaceAll(strings.Join(script, "\n"), docPort, freePort(t)))
		if err != nil || !strings.Contains(out, "3 passed, 0 failed") {
			t.Fatalf("%s: the script failed (%v):\n%s", b.Where(), err, out)
		}
		checkReport(t, filepath.Join(repo, report), 3, false)

		// A hook that now refuses example.net, hello's sender domain:
		// the same command fails, and the report says so.
		blocking := startHook(t, repo, c.gohook, "-listen", "127.0.0.1:0", "-block", "blocked.example,example.net")
		out, code := c.hooksim(t, repo, "test", "--url", blocking, "--stages", "all", "--junit", "changed.xml", "tests/")
		if code != 1 || !strings.Contains(out, "2 passed, 1 failed") {
			t.Errorf("hooksim test against a changed hook: exit %d, want 1 and one failure:\n%s", code, out)
		}
		checkReport(t, filepath.Join(repo, "changed.xml"), 3, true)
	})
}

// transcriptRegexp turns a transcript excerpt into a regular expression
// over hooksim's output: its lines follow one another, "..." inside a line
// stands for any text, and a line "..." for any lines.
func transcriptRegexp(excerpt string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?m)")
	for _, l := range strings.Split(strings.TrimSuffix(excerpt, "\n"), "\n") {
		if l == "..." {
			b.WriteString(`(?:.*\n)*?`)
			continue
		}
		parts := strings.Split(l, "...")
		for i, p := range parts {
			parts[i] = regexp.QuoteMeta(p)
		}
		b.WriteString("^" + strings.Join(parts, ".*?") + `\r?\n`)
	}
	return regexp.MustCompile(b.String())
}
