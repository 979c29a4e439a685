package loader

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash"
)

// Digest stripes: a tensor of up to digestWhole bytes is hashed whole, a
// larger one through digestStripes stripes of digestStripe bytes spread
// evenly over it, its first and last bytes included.
const (
	digestStripe  = 4 << 10
	digestStripes = 16
	digestWhole   = digestStripe * digestStripes
)

// Digest names the checkpoint's weights: "sha256:" and the hex SHA-256 of
// its normalised config and of every tensor in name order — name, type,
// shape, byte length and its bytes (of a tensor over 64 KiB, 16 stripes of
// 4 KiB spread over it, first and last bytes included). It reads at most
// 64 KiB a tensor, so it costs milliseconds for any model, and tells apart
// any two checkpoints that differ in configuration, layout or training
// (a fine-tune changes every stripe); it is a guard against mixing up
// models, not a proof against a forger who edits bytes between stripes.
func (c *Checkpoint) Digest() (string, error) {
	h := sha256.New()
	cfg, err := json.Marshal(c.Config)
	if err != nil {
		return "", err
	}
	writeChunk(h, []byte("gollm checkpoint digest v1"))
	writeChunk(h, cfg)
	for _, t := range c.Tensors() {
		writeChunk(h, []byte(t.Name))
		writeChunk(h, []byte(t.DType.String()))
		dims := binary.AppendUvarint(nil, uint64(len(t.Shape)))
		for _, d := range t.Shape {
			dims = binary.AppendUvarint(dims, uint64(d))
		}
		writeChunk(h, dims)
		writeChunk(h, binary.AppendUvarint(nil, uint64(len(t.Data))))
		if len(t.Data) <= digestWhole {
			writeChunk(h, t.Data)
			continue
		}
		last := len(t.Data) - digestStripe
		for i := range digestStripes {
			off := i * last / (digestStripes - 1)
			h.Write(t.Data[off : off+digestStripe])
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// writeChunk writes b to h after its length, so that consecutive chunks
// cannot run into each other.
func writeChunk(h hash.Hash, b []byte) {
	h.Write(binary.AppendUvarint(nil, uint64(len(b))))
	h.Write(b)
}
