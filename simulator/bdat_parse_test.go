package simulator

import "testing"

// ParseBdat follows smtp-proto's parser (request/parser.rs: BDAT, size,
// hashed_value), quirks included.
func TestParseBdat(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		rest     string
		size     uint64
		last, ok bool
	}{
		{"18", 18, false, true},
		{"18 LAST", 18, true, true},
		{"18 last", 18, true, true},
		{"  18   LAST", 18, true, true},
		{"18\tLAST", 18, true, true},
		{"18 LAST junk", 18, true, true},
		{"18 LAST;", 18, true, true},
		{"18 ", 18, false, true},
		{"18 ;", 18, false, true}, // no word: not the last
		{"18 NOW", 0, false, false},
		{"18 LASTX", 0, false, false},
		{"18 LASTLASTX", 0, false, false},
		{"1\r8 LA\rST", 18, true, true},
		{"9223372036854775808", 9223372036854775808, false, true},
		{"18446744073709551614", 18446744073709551614, false, true},
		{"18446744073709551615", 0, false, false}, // usize::MAX: refused
		{"99999999999999999999", 0, false, false}, // saturated
		{"12a", 0, false, false},
		{"+12", 0, false, false},
		{"", 0, false, false},
		{"LAST", 0, false, false},
	} {
		size, last, ok := ParseBdat(c.rest)
		if size != c.size || last != c.last || ok != c.ok {
			t.Errorf("ParseBdat(%q) = %d, %v, %v; want %d, %v, %v", c.rest, size, last, ok, c.size, c.last, c.ok)
		}
	}
}
