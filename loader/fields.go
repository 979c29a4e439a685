package loader

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// fields reads typed values out of a decoded JSON object. The first type
// error is kept in *err (shared with nested objects), naming the offending
// key with its path; a failed read returns the default. JSON null counts as
// absent.
type fields struct {
	m      map[string]json.RawMessage
	prefix string // "rope_scaling." for a nested object
	err    *error
}

// newFields decodes data as a JSON object.
func newFields(data []byte) (*fields, error) {
	m, err := decodeObject(data)
	if err != nil {
		return nil, err
	}
	return &fields{m: m, err: new(error)}, nil
}

// decodeObject decodes data as a JSON object (not null, not an array). A
// key that appears twice is an error naming it: encoding/json would keep
// the last value silently (two tensors of one name, two values of one
// setting).
func decodeObject(data []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("invalid JSON: want an object, got null")
	}
	if err := checkDuplicateKeys(data, len(m)); err != nil {
		return nil, err
	}
	return m, nil
}

// checkDuplicateKeys walks the top-level object of data, valid JSON that
// decoded to distinct keys, and reports the first key that appears twice.
func checkDuplicateKeys(data []byte, distinct int) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil { // the '{'
		return fmt.Errorf("invalid JSON: %w", err)
	}
	seen := make(map[string]bool, distinct)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("invalid JSON: %w", err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return fmt.Errorf("key %q appears twice (JSON would keep only the last)", key)
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return fmt.Errorf("invalid JSON: %w", err)
		}
	}
	return nil
}

// Err returns the first type error met so far.
func (f *fields) Err() error { return *f.err }

// raw returns the value of the first present, non-null key among keys.
func (f *fields) raw(keys ...string) (string, json.RawMessage, bool) {
	for _, k := range keys {
		if v, ok := f.m[k]; ok && string(v) != "null" {
			return k, v, true
		}
	}
	return "", nil, false
}

// typeError records a type error for key unless one is already recorded.
func (f *fields) typeError(key string, v json.RawMessage, want string) {
	f.Fail(fmt.Errorf("field %q: want %s, got %s", f.prefix+key, want, clip(v)))
}

// has reports whether any of keys is present and not null.
func (f *fields) has(keys ...string) bool {
	_, _, ok := f.raw(keys...)
	return ok
}

// Present reports whether key is in the object at all, null included.
func (f *fields) Present(key string) bool {
	_, ok := f.m[key]
	return ok
}

// Int returns the first present key among keys as an integer, or def.
func (f *fields) Int(def int, keys ...string) int {
	k, v, ok := f.raw(keys...)
	if !ok {
		return def
	}
	n, ok := asInt(v)
	if !ok {
		f.typeError(k, v, "an integer")
		return def
	}
	return n
}

// Float returns the first present key among keys as a number, or def.
func (f *fields) Float(def float64, keys ...string) float64 {
	k, v, ok := f.raw(keys...)
	if !ok {
		return def
	}
	var x float64
	if err := json.Unmarshal(v, &x); err != nil || math.IsInf(x, 0) {
		f.typeError(k, v, "a number")
		return def
	}
	return x
}

// Bool returns the first present key among keys as a boolean, or def.
func (f *fields) Bool(def bool, keys ...string) bool {
	k, v, ok := f.raw(keys...)
	if !ok {
		return def
	}
	var b bool
	if err := json.Unmarshal(v, &b); err != nil {
		f.typeError(k, v, "true or false")
		return def
	}
	return b
}

// String returns the first present key among keys as a string, or def.
func (f *fields) String(def string, keys ...string) string {
	k, v, ok := f.raw(keys...)
	if !ok {
		return def
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		f.typeError(k, v, "a string")
		return def
	}
	return s
}

// strings returns key as a list of strings (nil when absent).
func (f *fields) strings(key string) []string {
	_, v, ok := f.raw(key)
	if !ok {
		return nil
	}
	var s []string
	if err := json.Unmarshal(v, &s); err != nil {
		f.typeError(key, v, "a list of strings")
		return nil
	}
	return s
}

// ints returns key as a list of integers, accepting a single integer as a
// one-element list (nil when absent).
func (f *fields) ints(key string) []int {
	_, v, ok := f.raw(key)
	if !ok {
		return nil
	}
	if n, ok := asInt(v); ok {
		return []int{n}
	}
	var list []json.RawMessage
	if err := json.Unmarshal(v, &list); err != nil {
		f.typeError(key, v, "an integer or a list of integers")
		return nil
	}
	out := make([]int, 0, len(list))
	for _, e := range list {
		n, ok := asInt(e)
		if !ok {
			f.typeError(key, v, "an integer or a list of integers")
			return nil
		}
		out = append(out, n)
	}
	return out
}

// object returns key as a nested object (nil when absent).
func (f *fields) object(key string) *fields {
	_, v, ok := f.raw(key)
	if !ok {
		return nil
	}
	m, err := decodeObject(v)
	if err != nil {
		f.typeError(key, v, "an object")
		return nil
	}
	return &fields{m: m, prefix: f.prefix + key + ".", err: f.err}
}

// asInt decodes v as an integer that fits in an int; integral floats such
// as 4096.0 are accepted, since some writers emit them.
func asInt(v json.RawMessage) (int, bool) {
	var x float64
	if err := json.Unmarshal(v, &x); err != nil {
		return 0, false
	}
	if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
		return 0, false
	}
	return int(x), true
}

// clip shortens a JSON value for an error message.
func clip(v json.RawMessage) string {
	const max = 40
	if len(v) > max {
		return string(v[:max]) + "…"
	}
	return string(v)
}

// Fail records err unless an error is already recorded.
func (f *fields) Fail(err error) {
	if *f.err == nil {
		*f.err = err
	}
}
