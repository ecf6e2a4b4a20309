package hookconf

import (
	"errors"
	"testing"
)

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"http://127.0.0.1:8025/hook", "http://127.0.0.1:8025/hook"},
		{"http://u:pw@h/x", "http://u:xxxxx@h/x"},
		{"http://h/x?token=abc&tenant=acme", "http://h/x?token=****&tenant=acme"},
		{"http://h/x?tenant=acme&api_key=k1&sig=2", "http://h/x?tenant=acme&api_key=****&sig=2"},
		{"http://h/x?Access%5FToken=abc", "http://h/x?Access%5FToken=****"},
		{"http://u:pw@h/x?secret=s", "http://u:xxxxx@h/x?secret=****"},
		{"http://h/x?token=", "http://h/x?token="},
		{"http://h/x?page=2", "http://h/x?page=2"},
	} {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// A hook URL with a credential in its query is recorded without it, and
// a replay of it needs the URL again.
func TestRecordedQueryCredential(t *testing.T) {
	t.Parallel()
	h := &Hook{ID: "h", URL: "http://127.0.0.1:1/hook?token=abcdef&v=2", Stages: StageSet{}}
	s := h.Settings()
	if s.URL != "http://127.0.0.1:1/hook?token=****&v=2" || !QueryHidden(s.URL) {
		t.Fatalf("recorded URL %q", s.URL)
	}
	if _, _, _, err := Rebuild(s, FlagSpec{}, MapEnv{}); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("Rebuild without --url: %v, want ErrNoCredentials", err)
	}
	if _, _, _, err := Rebuild(s, FlagSpec{URL: "http://127.0.0.1:1/hook?token=abcdef&v=2"}, MapEnv{}); err != nil {
		t.Errorf("Rebuild with --url: %v", err)
	}
}
