package llama2c

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
)

// tensor is a named float32 tensor to be written.
type tensor struct {
	name  string
	shape []int
	data  []float32
}

// safetensorsEntry is one tensor's header entry.
type safetensorsEntry struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// writeSafetensors writes ts as an F32 safetensors file at path, in the
// given order, stopping before the next tensor once ctx is cancelled. The
// header is padded with spaces to a multiple of 8 bytes so that the data,
// and every float32 in it, is aligned once mapped.
func writeSafetensors(ctx context.Context, path string, ts []tensor) (err error) {
	header := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var off int64
	for _, t := range ts {
		n := 1
		for _, d := range t.shape {
			n *= d
		}
		if n != len(t.data) {
			return fmt.Errorf("tensor %q: shape %v holds %d values, have %d", t.name, t.shape, n, len(t.data))
		}
		header[t.name] = safetensorsEntry{DType: "F32", Shape: t.shape, DataOffsets: [2]int64{off, off + 4*int64(n)}}
		off += 4 * int64(n)
	}
	js, err := json.Marshal(header)
	if err != nil {
		return err
	}
	if r := len(js) % 8; r != 0 {
		js = append(js, strings.Repeat(" ", 8-r)...)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(len(js)))
	w.Write(buf[:])
	w.Write(js)
	for _, t := range ts {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, x := range t.data {
			binary.LittleEndian.PutUint32(buf[:4], math.Float32bits(x))
			w.Write(buf[:4])
		}
	}
	return w.Flush()
}
