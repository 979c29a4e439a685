package loader

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/bits"
	"sort"
	"unicode/utf8"

	"github.com/gollm/gollm/weights"
)

// maxHeaderSize is the largest safetensors JSON header accepted (100 MB),
// the limit of the reference implementation.
const maxHeaderSize = 100_000_000

// maxDimSize bounds one dimension of a tensor shape.
const maxDimSize = 1 << 48

// tensorInfo is one entry of a safetensors header.
type tensorInfo struct {
	DType       string   `json:"dtype"`
	Shape       []uint64 `json:"shape"`
	DataOffsets []uint64 `json:"data_offsets"`
}

// span is a validated header entry with its byte range in the data buffer.
type span struct {
	name       string
	dtype      weights.DType
	shape      []int
	begin, end uint64
}

// ParseSafetensors validates a whole safetensors file and returns its
// tensors, whose Data alias data. It checks what the reference
// implementation checks: an 8-byte little-endian header length within the
// file and at most 100 MB, a JSON object header, a known dtype (only F32,
// F16 and BF16 are supported), and data offsets that tile the data buffer
// exactly — ordered, without overlap or gap — with each tensor's byte size
// equal to its element count times its dtype size. "__metadata__" must map
// strings to strings.
func ParseSafetensors(data []byte) (map[string]*weights.Tensor, error) {
	spans, body, err := parseHeader(data)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*weights.Tensor, len(spans))
	for _, s := range spans {
		out[s.name] = &weights.Tensor{Name: s.name, DType: s.dtype, Shape: s.shape, Data: body[s.begin:s.end:s.end]}
	}
	return out, nil
}

// parseHeader decodes and validates the header and returns the tensors
// sorted by offset, with the data buffer that follows the header.
func parseHeader(data []byte) ([]span, []byte, error) {
	if len(data) < 8 {
		return nil, nil, fmt.Errorf("file is %d bytes, too short for the 8-byte header length (truncated?)", len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > maxHeaderSize {
		return nil, nil, fmt.Errorf("header length %d exceeds the %d-byte limit", n, maxHeaderSize)
	}
	if n > uint64(len(data)-8) {
		return nil, nil, fmt.Errorf("header length %d exceeds the %d bytes after it (truncated file?)", n, len(data)-8)
	}
	header, body := data[8:8+n], data[8+n:]
	if len(header) == 0 || header[0] != '{' {
		return nil, nil, fmt.Errorf("header does not start with '{'")
	}
	if !utf8.Valid(header) {
		return nil, nil, fmt.Errorf("header is not valid UTF-8")
	}
	entries, err := decodeObject(header)
	if err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	spans := make([]span, 0, len(entries))
	for name, raw := range entries {
		if name == "__metadata__" {
			var meta map[string]string
			if err := json.Unmarshal(raw, &meta); err != nil {
				return nil, nil, fmt.Errorf("header: __metadata__ must map strings to strings: %w", err)
			}
			continue
		}
		s, err := parseEntry(name, raw)
		if err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		spans = append(spans, s)
	}
	if err := checkTiling(spans, uint64(len(body))); err != nil {
		return nil, nil, err
	}
	return spans, body, nil
}

// parseEntry validates one tensor's header entry on its own.
func parseEntry(name string, raw json.RawMessage) (span, error) {
	var info tensorInfo
	if err := json.Unmarshal(raw, &info); err != nil {
		return span{}, fmt.Errorf("invalid entry: %w", err)
	}
	if info.DType == "" || info.Shape == nil || info.DataOffsets == nil {
		return span{}, fmt.Errorf("entry needs dtype, shape and data_offsets")
	}
	if len(info.DataOffsets) != 2 {
		return span{}, fmt.Errorf("data_offsets has %d values, want 2", len(info.DataOffsets))
	}
	dt, err := weights.ParseDType(info.DType)
	if err != nil {
		return span{}, err
	}
	s := span{name: name, dtype: dt, shape: make([]int, len(info.Shape)), begin: info.DataOffsets[0], end: info.DataOffsets[1]}
	elems := uint64(1)
	overflow := false
	for i, d := range info.Shape {
		if d > maxDimSize {
			return span{}, fmt.Errorf("dimension %d of shape %v is too large", i, info.Shape)
		}
		s.shape[i] = int(d)
		hi, lo := bits.Mul64(elems, d)
		overflow = overflow || hi != 0
		elems = lo
	}
	hi, nbytes := bits.Mul64(elems, uint64(dt.BlockBytes()))
	if overflow || hi != 0 {
		return span{}, fmt.Errorf("shape %v overflows", info.Shape)
	}
	if s.end < s.begin {
		return span{}, fmt.Errorf("data_offsets [%d, %d] end before they begin", s.begin, s.end)
	}
	if s.end-s.begin != nbytes {
		return span{}, fmt.Errorf("data_offsets [%d, %d] hold %d bytes, but %s %v needs %d", s.begin, s.end, s.end-s.begin, dt, info.Shape, nbytes)
	}
	return s, nil
}

// checkTiling sorts spans by offset and checks that they cover the data
// buffer of size n exactly, in order, without gaps or overlaps.
func checkTiling(spans []span, n uint64) error {
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].begin != spans[j].begin {
			return spans[i].begin < spans[j].begin
		}
		return spans[i].end < spans[j].end
	})
	var at uint64
	for _, s := range spans {
		switch {
		case s.begin < at:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap the previous tensor (ends at %d)", s.name, s.begin, s.end, at)
		case s.begin > at:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] leave a gap after byte %d", s.name, s.begin, s.end, at)
		case s.end > n:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] run past the %d-byte data buffer (truncated file?)", s.name, s.begin, s.end, n)
		}
		at = s.end
	}
	if at != n {
		return fmt.Errorf("tensors cover %d bytes, but the data buffer holds %d", at, n)
	}
	return nil
}
