package wire

import "strconv"

// wireForm checks the bytes of a body that parsed as JSON against what
// serde_json's compact writer (serde_json::to_vec, which reqwest's
// .json() and Stalwart's hook client use) produces: no white space
// between tokens, and in strings no escape but \" \\ \b \f \n \r \t and
// \u00xx, in lower-case hex, for the other control characters (not "\/",
// not non-ASCII, not "<" or "&" as Go's encoding/json writes them). A
// difference means another encoder wrote the body, or something on the
// way rewrote it.
func (c *driftCheck) wireForm(body []byte) {
	space, inString, odd := 0, false, ""
	for i := 0; i < len(body); i++ {
		b := body[i]
		if !inString {
			switch b {
			case ' ', '\t', '\r', '\n':
				space++
			case '"':
				inString = true
			}
			continue
		}
		switch b {
		case '"':
			inString = false
		case '\\':
			if i+1 >= len(body) {
				return
			}
			esc := 2
			switch body[i+1] {
			case '"', '\\', 'b', 'f', 'n', 'r', 't':
			case 'u':
				esc = 6
				if i+6 > len(body) {
					return
				}
				if odd == "" && !serdeUnicodeEscape(string(body[i+2:i+6])) {
					odd = string(body[i : i+6])
				}
			default:
				if odd == "" {
					odd = string(body[i : i+2])
				}
			}
			i += esc - 1
		}
	}
	if space > 0 {
		c.add("", "%s sends compact JSON (serde_json: no white space between tokens); this request has %d bytes of white space", model, space)
	}
	if odd != "" {
		c.add("", `%s escapes in strings only quotes, backslashes and control characters (\n, \u001b), as serde_json does; this request has %s`, model, strconv.Quote(odd))
	}
}

// serdeUnicodeEscape reports whether \uXXXX (hex is XXXX) is how
// serde_json writes a character: a control character without a short
// escape, in lower-case hex.
func serdeUnicodeEscape(hex string) bool {
	v, err := strconv.ParseUint(hex, 16, 16)
	if err != nil || v >= 0x20 || hex != "00"+string(hexDigits[v>>4])+string(hexDigits[v&0xf]) {
		return false
	}
	switch v {
	case '\b', '\f', '\n', '\r', '\t':
		return false
	}
	return true
}
