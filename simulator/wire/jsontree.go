package wire

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/hooksim/hooksim/simulator/internal/jsondoc"
)

// node is a parsed JSON value: members in order, repeats kept, so the
// parser can reproduce serde's rules and the lints can see ignored keys.
type node = jsondoc.Node

const (
	kindNull   = jsondoc.Null
	kindBool   = jsondoc.Bool
	kindNumber = jsondoc.Number
	kindString = jsondoc.String
	kindObject = jsondoc.Object
	kindArray  = jsondoc.Array
)

// describe renders a value for "got ..." in error messages.
func describe(n *node) string {
	switch n.Kind {
	case kindNull:
		return "null"
	case kindBool:
		return strconv.FormatBool(n.Bool)
	case kindNumber:
		return n.Text
	case kindString:
		s := n.Text
		if len(s) > 40 {
			s = s[:40] + "..."
		}
		return strconv.Quote(s)
	case kindObject:
		return "an object"
	default:
		return "an array"
	}
}

// parseTree parses body as one JSON value, as strictly as serde_json
// parses Stalwart's Response (crates/smtp/src/inbound/hooks/client.rs
// calls serde_json::from_slice on the body): the values of unknown keys of
// the response and of its "response" object, in the object form of either
// (see skipUnknown), are skipped as serde's derived Deserialize skips
// unknown fields (IgnoredAny), so invalid UTF-8, lone surrogates and any
// nesting are accepted there; everything else, modifications included, is
// checked in full. Each modification is read whole before its "type" is
// known (Modification is #[serde(tag = "type")], buffered as serde
// Content), so its unknown keys are checked too, with serde_json's
// recursion limit of 127 nested levels counted from the top of the body.
func parseTree(body []byte) (*node, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errors.New("empty body: a hook must answer with a JSON object")
	}
	n, err := jsondoc.ParseWith(body, jsondoc.Options{Skip: skipUnknown})
	if err != nil {
		var se *jsondoc.SyntaxError
		if errors.As(err, &se) {
			li := jsondoc.NewLineIndex(body)
			return nil, fmt.Errorf("invalid JSON at line %d, column %d: %s", li.Line(se.Off), li.Column(se.Off), se.Msg)
		}
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	return n, nil
}

// skipUnknown reports the members serde skips: unknown keys of the
// top-level object, and of the SmtpResponse object found under its
// "response" key or, when the body is the array form of Response, as its
// element [1] (both plain structs); not those of modifications (an
// internally tagged enum, buffered whole) nor of an action given as an
// object (an enum, whose one key is the variant).
func skipUnknown(path []jsondoc.Step, key string) bool {
	switch {
	case len(path) == 0:
		return !isKnown(knownKeys[""], key)
	case len(path) == 1 && (path[0].Index < 0 && path[0].Key == "response" || path[0].Index == 1):
		return !isKnown(knownKeys["response"], key)
	}
	return false
}

func isKnown(keys []string, key string) bool {
	for _, k := range keys {
		if k == key {
			return true
		}
	}
	return false
}
