package modify

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// rustLower lower-cases s like Rust's str::to_lowercase, which Stalwart uses
// for address_lcase. It differs from strings.ToLower in two places: U+0130
// (capital I with dot above) becomes "i" plus U+0307, and a capital sigma at
// the end of a word becomes the final sigma U+03C2. Invalid UTF-8 bytes are
// kept as they are.
func rustLower(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteByte(s[i])
		case r == '\u0130':
			b.WriteString("i\u0307")
		case r == '\u03a3':
			if finalSigma(s, i, i+size) {
				b.WriteRune('\u03c2')
			} else {
				b.WriteRune('\u03c3')
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
		i += size
	}
	return b.String()
}

// finalSigma applies Unicode's Final_Sigma condition to the sigma at
// s[start:end]: a cased letter before it (skipping case-ignorable ones) and
// none after it.
func finalSigma(s string, start, end int) bool {
	before := false
	for i := start; i > 0; {
		r, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
		if caseIgnorable(r) {
			continue
		}
		before = cased(r)
		break
	}
	if !before {
		return false
	}
	for i := end; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if caseIgnorable(r) {
			continue
		}
		return !cased(r)
	}
	return true
}

// cased is Unicode's Cased property.
func cased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

// caseIgnorable is Unicode's Case_Ignorable property.
func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', '\u00b7', '\u0387', '\u055f', '\u05f4', '\u2018', '\u2019',
		'\u2024', '\u2027', '\ufe13', '\ufe52', '\ufe55', '\uff07', '\uff0e', '\uff1a':
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}

// hasUpper reports whether lower-casing would change s.
func hasUpper(s string) bool {
	return rustLower(s) != s
}

// LowercaseAddress is Stalwart's to_lowercase_address(true)
// (crates/utils/src/lib.rs:157-186), which makes address_lcase, the form
// hooks see, of a MAIL FROM or RCPT TO address (mail.rs:113, rcpt.rs:73):
// split at the last @, the local part lower-cased character by character
// (Rust's char::to_lowercase: U+0130 becomes "i" plus U+0307, and a capital
// sigma always becomes σ), an ASCII domain lower-cased, any other domain
// converted to ASCII by IDNA (lower-cased as a whole when that fails). An
// address without @ is lower-cased as a whole (str::to_lowercase).
func LowercaseAddress(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return rustLower(addr)
	}
	local, domain := addr[:at], addr[at+1:]
	var b strings.Builder
	b.Grow(len(addr) + 4)
	for i := 0; i < len(local); {
		r, size := utf8.DecodeRuneInString(local[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteByte(local[i])
		case r == '\u0130':
			b.WriteString("i\u0307")
		default:
			b.WriteRune(unicode.ToLower(r))
		}
		i += size
	}
	b.WriteByte('@')
	switch {
	case isASCII(domain):
		b.WriteString(strings.ToLower(domain))
	default:
		if d, err := idna.Lookup.ToASCII(domain); err == nil {
			b.WriteString(d)
		} else {
			b.WriteString(rustLower(domain))
		}
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
