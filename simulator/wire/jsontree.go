package wire

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

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

// parseTree parses body as one JSON value, as strictly as serde_json.
func parseTree(body []byte) (*node, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errors.New("empty body: a hook must answer with a JSON object")
	}
	if !utf8.Valid(body) {
		return nil, errors.New("invalid JSON: the body is not valid UTF-8")
	}
	n, err := jsondoc.Parse(body)
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
