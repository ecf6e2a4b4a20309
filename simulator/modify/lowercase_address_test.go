package modify

import "testing"

// TestLowercaseAddress: Stalwart's to_lowercase_address(true).
func TestLowercaseAddress(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"John@Example.ORG":            "john@example.org",
		"İnfo@Bücher.example":         "i\u0307nfo@xn--bcher-kva.example",
		"x@xn--bcher-kva.example":     "x@xn--bcher-kva.example",
		"ΟΔΟΣ@example.org":            "οδοσ@example.org", // char by char: no final sigma
		"a@b@Example.org":             "a@b@example.org",  // split at the last @
		"NoAt":                        "noat",
		"ΟΔΟΣ":                        "οδος", // without @: str::to_lowercase, final sigma
		"Joe@EXÄMPLE.org":             "joe@xn--exmple-cua.org",
		"\"Quoted Part\"@Example.Org": "\"quoted part\"@example.org",
	}
	for in, want := range tests {
		if got := LowercaseAddress(in); got != want {
			t.Errorf("LowercaseAddress(%q) = %q, want %q", in, got, want)
		}
	}
}
