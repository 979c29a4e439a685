package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime"
	"strings"

	"github.com/gollm/gollm/eval"
	"github.com/gollm/gollm/internal/kernels"
	"github.com/gollm/gollm/internal/readlimit"
)

// partFormat names the layout of a part file; merge refuses any other.
const partFormat = "gollm perplexity part 1"

// maxPartBytes bounds what merge reads of one part file.
const maxPartBytes = 1 << 30

// pplPart is what `gollm perplexity --shard i/N --out-part FILE` writes:
// the identity of the whole run, which shard this is, and the sums of each
// of its units (a span under every setting, eval.SpanResult). It holds no
// timings, host names or dates, so a shard run twice — a retried pod —
// writes the same bytes.
type pplPart struct {
	Format   string      `json:"format"`
	Identity pplIdentity `json:"identity"`
	Shard    shardSpec   `json:"shard"`
	// Backend is the CPU architecture and kernel set the shard ran on.
	// Merge only warns when parts differ in it: the sums then come from
	// different kernels and may differ in the last digits from a run on
	// one machine.
	Backend string            `json:"backend"`
	Units   []eval.SpanResult `json:"units"`
}

// pplIdentity is everything that changes the numbers of a run, and what
// the report prints about it; parts merge only when theirs are equal. The
// fields readable by a person come first, so that merge names the most
// telling one that differs.
type pplIdentity struct {
	Header    pplHeader    `json:"header"`    // data, protocol, units, --decode-last, plan
	Settings  []pplSetting `json:"settings"`  // in the run's order
	KL        bool         `json:"kl"`        // --kl
	Reference string       `json:"reference"` // the KL reference plan, "" without --kl
	Weights   string       `json:"weights"`   // --weights ("" as stored)
	Model     string       `json:"model"`     // the checkpoint's digest (loader.Checkpoint.Digest)
	Data      string       `json:"data"`      // SHA-256 of every document's token ids (tokenDigest)
	Spans     string       `json:"spans"`     // SHA-256 of every unit's span (spanDigest)
}

// pplSetting is one setting of the sweep.
type pplSetting struct {
	HyperLayers int    `json:"hyper_layers"`
	Pattern     string `json:"pattern"`
	Seed        uint64 `json:"seed"`
	Plan        string `json:"plan"`
}

// newPplIdentity names the run s of the model l.
func newPplIdentity(l *loaded, weights string, s *pplSetup) (pplIdentity, error) {
	model, err := l.ckpt.Digest()
	if err != nil {
		return pplIdentity{}, fmt.Errorf("perplexity: the model's digest: %w", err)
	}
	id := pplIdentity{Model: model, Weights: weights, Data: tokenDigest(s.ids), Spans: spanDigest(s.spans),
		KL: s.ref != nil, Header: s.rep.head}
	if s.ref != nil {
		id.Reference = s.ref.String()
	}
	for _, st := range s.settings {
		id.Settings = append(id.Settings, pplSetting{HyperLayers: st.HyperLayers, Pattern: st.Pattern, Seed: st.Seed, Plan: st.Describe()})
	}
	return id, nil
}

// settings are the sweep's settings as eval folds them (without plans).
func (id pplIdentity) settings() []eval.Setting {
	out := make([]eval.Setting, len(id.Settings))
	for i, s := range id.Settings {
		out[i] = eval.Setting{HyperLayers: s.HyperLayers, Pattern: s.Pattern, Seed: s.Seed, PlanText: s.Plan}
	}
	return out
}

// tokenDigest is "sha256:" and the SHA-256 of the documents' token ids:
// per document its length, then each id, as 8-byte little-endian words.
func tokenDigest(docs [][]int) string {
	h := sha256.New()
	var w [8]byte
	put := func(v int) {
		binary.LittleEndian.PutUint64(w[:], uint64(v))
		h.Write(w[:])
	}
	put(len(docs))
	for _, ids := range docs {
		put(len(ids))
		for _, id := range ids {
			put(id)
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// spanDigest is "sha256:" and the SHA-256 of the spans in order, each as
// its document, start, end and first target.
func spanDigest(spans []eval.Span) string {
	flat := make([][]int, len(spans))
	for i, sp := range spans {
		flat[i] = []int{sp.Doc, sp.Start, sp.End, sp.From}
	}
	return tokenDigest(flat)
}

// kernelBackend names the architecture and kernel set of this machine.
func kernelBackend() string { return runtime.GOARCH + "/" + kernels.Backend() }

// writePart writes p to path, atomically, as one line of JSON.
func writePart(path string, p *pplPart) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("perplexity: --out-part: %w", err)
	}
	if err := writeFileAtomic(path, append(b, '\n')); err != nil {
		return fmt.Errorf("perplexity: --out-part: %w", err)
	}
	return nil
}

// readPartFile reads and checks the part file path.
func readPartFile(path string) (*pplPart, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := readPart(f, maxPartBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// readPart reads a part from r, at most limit bytes of it, and checks that
// it is whole and consistent in itself (merge checks it against others).
func readPart(r io.Reader, limit int64) (*pplPart, error) {
	b, err := readlimit.ReadAll(r, limit, "part file")
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p pplPart
	if err := dec.Decode(&p); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("truncated: the JSON ends early (%d bytes): was the shard stopped while writing?", len(b))
		}
		return nil, fmt.Errorf("not a part file: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("not a part file: data after its JSON object")
	}
	if p.Format != partFormat {
		return nil, fmt.Errorf("not a part file of this gollm (format %q, want %q)", p.Format, partFormat)
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	return &p, nil
}

// check tells whether a part is consistent in itself: a shard of a run
// with settings and units, holding units of that run in ascending order,
// each with a score per setting.
func (p *pplPart) check() error {
	id, h := p.Identity, p.Identity.Header
	if err := p.Shard.check("shard"); err != nil {
		return err
	}
	if len(id.Settings) == 0 || h.Spans < 1 || h.Documents < 1 {
		return fmt.Errorf("a run of %d settings, %d units over %d documents: nothing to merge", len(id.Settings), h.Spans, h.Documents)
	}
	for i, u := range p.Units {
		if u.Unit >= h.Spans || i > 0 && u.Unit <= p.Units[i-1].Unit {
			return fmt.Errorf("unit %d out of order or out of the run's %d", u.Unit, h.Spans)
		}
		if err := u.Check(len(id.Settings), h.Documents); err != nil {
			return err
		}
		if !id.KL {
			for _, s := range u.Scores {
				if s.KL != nil {
					return fmt.Errorf("unit %d has a KL comparison in a run without --kl", u.Unit)
				}
			}
		}
	}
	return nil
}

// identityDiff names the first field in which a and b differ ("model",
// "header.ctx", …) and its two values (cut short); "" when they are equal.
func identityDiff(a, b pplIdentity) (field, va, vb string) {
	return fieldDiff("", reflect.ValueOf(a), reflect.ValueOf(b))
}

// fieldDiff compares the fields of the structs a and b by their JSON, and
// those of nested structs field by field.
func fieldDiff(prefix string, a, b reflect.Value) (field, va, vb string) {
	for i := range a.NumField() {
		name, _, _ := strings.Cut(a.Type().Field(i).Tag.Get("json"), ",")
		x, y := a.Field(i), b.Field(i)
		if x.Kind() == reflect.Struct {
			if f, s, t := fieldDiff(prefix+name+".", x, y); f != "" {
				return f, s, t
			}
			continue
		}
		jx, _ := json.Marshal(x.Interface())
		jy, _ := json.Marshal(y.Interface())
		if !bytes.Equal(jx, jy) {
			return prefix + name, shorten(string(jx)), shorten(string(jy))
		}
	}
	return "", "", ""
}

// shorten cuts s to about 100 characters.
func shorten(s string) string {
	if r := []rune(s); len(r) > 100 {
		return string(r[:97]) + "…"
	}
	return s
}
