package modify

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/hooksim/hooksim/simulator/wire"
)

// decodeMods reads a JSON array of modifications in the hook wire format
// ({"type":"addHeader","name":...}). It exists for the tests only: it keeps
// the order of "parameters" keys, which encoding/json maps would lose.
func decodeMods(data []byte) ([]wire.Modification, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(data, &items); err != nil {
		return nil, fmt.Errorf("modify: decode modifications: %w", err)
	}
	mods := make([]wire.Modification, 0, len(items))
	for i, item := range items {
		var m struct {
			Type       string          `json:"type"`
			Value      string          `json:"value"`
			Name       string          `json:"name"`
			Index      uint32          `json:"index"`
			Parameters json.RawMessage `json:"parameters"`
		}
		if err := json.Unmarshal(item, &m); err != nil {
			return nil, fmt.Errorf("modify: decode modification %d: %w", i, err)
		}
		params, err := decodeParams(m.Parameters)
		if err != nil {
			return nil, fmt.Errorf("modify: decode modification %d parameters: %w", i, err)
		}
		mods = append(mods, wire.Modification{
			Type: wire.ModType(m.Type), Value: m.Value, Name: m.Name, Index: m.Index, Parameters: params,
		})
	}
	return mods, nil
}

// decodeParams reads {"K": "V", "K2": null} keeping key order.
func decodeParams(data json.RawMessage) ([]wire.Parameter, error) {
	if len(data) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("want an object, got %v", tok)
	}
	var params []wire.Parameter
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var v *string
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		params = append(params, wire.Parameter{Key: key, Value: v})
	}
	return params, nil
}
