package tokenizer

import (
	"path/filepath"
	"testing"

	"github.com/pkoukk/tiktoken-go"
	loader "github.com/pkoukk/tiktoken-go-loader"
)

// BenchmarkBook encodes war_and_peace (3.3 MB) three ways per encoding:
// tiktoken-go's own EncodeOrdinary (the anchor), gollm on one goroutine, and
// gollm's chunked parallel Encode. MB/s is bytes of text per second.
func BenchmarkBook(b *testing.B) {
	text := string(readShared(b, "data/books/war_and_peace.txt"))
	tiktoken.SetBpeLoader(loader.NewOfflineLoader())
	for _, name := range []string{"r50k_base", "cl100k_base", "o200k_base"} {
		ref, err := tiktoken.GetEncoding(name)
		if err != nil {
			b.Fatal(err)
		}
		tok := mustEncoding(b, name).(*byteBPE)
		run := func(label string, enc func()) {
			b.Run(name+"/"+label, func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				for b.Loop() {
					enc()
				}
			})
		}
		run("tiktoken-go", func() { ref.EncodeOrdinary(text) })
		run("sequential", func() { tok.encodePlain(nil, text) })
		run("parallel", func() { tok.Encode(text) })
	}
}

// BenchmarkBookSPM encodes the first 512 KiB of war_and_peace with the
// Llama 2 tokenizer.model: merging the whole text at once (the earlier
// code, as anchor), word by word on one goroutine, and the chunked Encode.
func BenchmarkBookSPM(b *testing.B) {
	text := string(readShared(b, "data/books/war_and_peace.txt"))[:512<<10]
	tok := mustLoad(b, filepath.Join(sharedDir(b), "data/llama2_tokenizer/tokenizer.model")).(*spmBPE)
	run := func(label string, enc func()) {
		b.Run(label, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				enc()
			}
		})
	}
	run("whole-text", func() {
		tok.wordCut = false
		tok.encodeChunk(nil, text, true)
		tok.wordCut = true
	})
	run("sequential", func() { tok.encodeChunk(nil, text, true) })
	run("parallel", func() { tok.Encode(text) })
}
