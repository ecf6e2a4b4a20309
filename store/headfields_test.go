package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// An exchange's header lists read back exactly as written, whether they
// are stored as their head's fields ("") or as JSON; which of the two is
// stored is checked for each case.
func TestHeaderListsBesideHeads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, id := openWithRun(t)
	h := func(kv ...string) []Header {
		out := []Header{}
		for i := 0; i < len(kv); i += 2 {
			out = append(out, Header{kv[i], kv[i+1]})
		}
		return out
	}
	cases := []struct {
		name    string
		head    []byte
		list    []Header
		derived bool // stored as ""
	}{
		{"request", []byte("POST /h HTTP/1.1\r\ncontent-type: application/json\r\nhost: 127.0.0.1:1\r\n\r\n"),
			h("content-type", "application/json", "host", "127.0.0.1:1"), true},
		{"response with 1xx heads", []byte("HTTP/1.1 100 Continue\r\nX-A: 1\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\nDate: x\r\nDate: y\r\n\r\n"),
			h("Date", "x", "Date", "y"), true},
		{"no fields", []byte("HTTP/1.1 204 No Content\r\n\r\n"), h(), true},
		{"spaces around values", []byte("HTTP/1.1 200 OK\r\nA:\t x \t\r\nB:\r\n\r\n"), h("A", "x", "B", ""), true},
		{"bare LF", []byte("HTTP/1.1 200 OK\nA: 1\nB: 2\n\n"), h("A", "1", "B", "2"), true},
		{"not UTF-8", []byte("HTTP/1.1 200 OK\r\nX-Bin: \xff\xfe\x80\r\n\r\n"), h("X-Bin", "\xff\xfe\x80"), true},
		{"value differs", []byte("HTTP/1.1 200 OK\r\nA: 1\r\n\r\n"), h("A", "2"), false},
		{"name case differs", []byte("HTTP/1.1 200 OK\r\nA: 1\r\n\r\n"), h("a", "1"), false},
		{"order differs", []byte("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n"), h("B", "2", "A", "1"), false},
		{"list longer", []byte("HTTP/1.1 200 OK\r\nA: 1\r\n\r\n"), h("A", "1", "B", "2"), false},
		{"list shorter", []byte("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n"), h("A", "1"), false},
		{"untrimmed value", []byte("HTTP/1.1 200 OK\r\nA:  x \r\n\r\n"), h("A", " x "), false},
		{"folded line", []byte("HTTP/1.1 200 OK\r\nA: 1\r\n 2\r\n\r\n"), h("A", "1 2"), false},
		{"no colon", []byte("HTTP/1.1 200 OK\r\nA 1\r\n\r\n"), h(), false},
		{"HTTP/2 rendering", []byte("POST /h HTTP/2.0\r\n:method: POST\r\n:authority: x\r\ncontent-type: a\r\n\r\n"), h("content-type", "a"), false},
		{"malformed head", []byte("garbage"), h(), true},
		{"empty head", []byte{}, h(), false},
		{"no head", nil, h("A", "1"), false},
	}
	for i, c := range cases {
		seq := i + 1
		e := testExchange(id, 1, seq)
		e.Wire = &Wire{RequestHead: c.head, ResponseHead: c.head, BodyRead: "complete"}
		e.RequestHeaders, e.ResponseHeaders = c.list, c.list
		if err := s.Write(ctx, Batch{Exchanges: []Exchange{e}}); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var reqCol, respCol string
		if err := s.r.QueryRowContext(ctx, `SELECT request_headers, response_headers FROM exchanges WHERE run_id = ? AND seq = ?`, id, seq).Scan(&reqCol, &respCol); err != nil {
			t.Fatal(err)
		}
		if derived := reqCol == ""; derived != c.derived || respCol != reqCol {
			t.Errorf("%s: stored %q and %q, want derived %v", c.name, reqCol, respCol, c.derived)
		}
		got, err := s.Exchange(ctx, id, seq)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !reflect.DeepEqual(got.RequestHeaders, c.list) || !reflect.DeepEqual(got.ResponseHeaders, c.list) {
			t.Errorf("%s: read back %q and %q, want %q", c.name, got.RequestHeaders, got.ResponseHeaders, c.list)
		}
	}
	// Without a wire record the lists are JSON.
	e := testExchange(id, 1, 100)
	e.Wire, e.RequestHeaders = nil, h("A", "1")
	if err := s.Write(ctx, Batch{Exchanges: []Exchange{e}}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Exchange(ctx, id, 100); err != nil || !reflect.DeepEqual(got.RequestHeaders, e.RequestHeaders) {
		t.Errorf("no wire: %v, %v", got.RequestHeaders, err)
	}
}

// Random lists and heads rendered from them with random spacing, line
// endings, interim heads and perturbations: every list reads back as
// written (as JSON keeps it, when it is not its head's).
func TestHeaderListsRandom(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, id := openWithRun(t)
	r := rand.New(rand.NewPCG(9, 9))
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	derived := 0
	const n = 400
	var batch []Exchange
	for seq := 1; seq <= n; seq++ {
		var list []Header
		var b strings.Builder
		if r.IntN(4) == 0 {
			b.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
		}
		b.WriteString(pick("HTTP/1.1 200 OK", "POST / HTTP/1.1", "HTTP/1.0 500 x"))
		eol := pick("\r\n", "\n")
		b.WriteString(eol)
		for range r.IntN(6) {
			name := pick("A", "a", "Content-Type", "X-\xff", "", " B", "C D")
			value := pick("1", "", " v ", "a:b", "\xfe", "x\ty", "\t")
			fmt.Fprintf(&b, "%s:%s%s%s", name, pick("", " ", "\t "), value, pick("", " ", "\t"))
			b.WriteString(eol)
			list = append(list, Header{name, strings.Trim(value, " \t")})
		}
		b.WriteString(eol)
		switch r.IntN(5) {
		case 0: // a value the head does not hold
			if len(list) > 0 {
				list[r.IntN(len(list))].Value += "!"
			}
		case 1: // a field the head does not hold
			list = append(list, Header{"Extra", "1"})
		}
		e := testExchange(id, 1, seq)
		e.Wire = &Wire{RequestHead: []byte(b.String()), ResponseHead: []byte(b.String())}
		e.RequestHeaders, e.ResponseHeaders = list, list
		if list == nil {
			e.RequestHeaders, e.ResponseHeaders = []Header{}, []Header{}
		}
		batch = append(batch, e)
	}
	if err := s.Write(ctx, Batch{Exchanges: batch}); err != nil {
		t.Fatal(err)
	}
	exs, err := s.Exchanges(ctx, id)
	if err != nil || len(exs) != n {
		t.Fatalf("%d exchanges, %v", len(exs), err)
	}
	for i, got := range exs {
		want := batch[i]
		var col string
		if err := s.r.QueryRowContext(ctx, `SELECT request_headers FROM exchanges WHERE run_id = ? AND seq = ?`, id, got.Seq).Scan(&col); err != nil {
			t.Fatal(err)
		}
		wantList := want.RequestHeaders
		if col != "" {
			// A list stored as JSON loses bytes that are not UTF-8 (each
			// becomes U+FFFD, as encoding/json writes them); its head
			// keeps them.
			wantList = nil
			for _, f := range want.RequestHeaders {
				wantList = append(wantList, Header{string([]rune(f.Name)), string([]rune(f.Value))})
			}
			if wantList == nil {
				wantList = []Header{}
			}
		}
		if !reflect.DeepEqual(got.RequestHeaders, wantList) || !reflect.DeepEqual(got.ResponseHeaders, wantList) {
			t.Fatalf("exchange %d: head %q\nread %q\nwant %q", got.Seq, want.Wire.RequestHead, got.RequestHeaders, wantList)
		}
	}
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM exchanges WHERE run_id = ? AND request_headers = ''`, id).Scan(&derived); err != nil {
		t.Fatal(err)
	}
	if derived < n/4 || derived == n {
		t.Errorf("%d of %d lists stored as their heads' fields: the cases do not cover both kinds", derived, n)
	}
}
