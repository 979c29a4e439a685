package tokenizer

import (
	"flag"
	"math/rand"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pkoukk/tiktoken-go"
	loader "github.com/pkoukk/tiktoken-go-loader"
)

var long = flag.Bool("long", false, "run the whole-book checks (several seconds)")

// syntheticText mixes words, punctuation, digits, non-ASCII, space and
// newline runs, so that cuts land after many kinds of line ends.
func syntheticText(n int) string {
	words := []string{"the", "The", "it's", "HE'LL", "naïve", "東京", "🦙", "12345", ",", ".", "—", "'", "(x)", "  ", "\t", "\n", "\n\n", " \n", "\r\n", ".\n", "a\n", "\u00a0"}
	r := rand.New(rand.NewSource(1))
	var sb strings.Builder
	for sb.Len() < n {
		sb.WriteString(words[r.Intn(len(words))])
		if r.Intn(3) > 0 {
			sb.WriteByte(' ')
		}
	}
	return sb.String()
}

// Chunked parallel encoding must give the ids of one sequential pass.
func TestChunkedEqualsSequential(t *testing.T) {
	text := syntheticText(parallelMin + 40<<10)
	if len(cutPoints(text, chunkMin, cutAfterLineBreak)) < 3 {
		t.Fatal("test text offers too few cuts")
	}
	for _, name := range []string{"r50k_base", "cl100k_base", "o200k_base"} {
		b := mustEncoding(t, name).(*byteBPE)
		if !b.parallel {
			t.Fatalf("%s: not marked parallel", name)
		}
		if got, want := b.Encode(text), b.encodePlain(nil, text); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: chunked encode differs from sequential", name)
		}
	}
	spm := mustLoad(t, writeJSON(t, spmJSON())).(*spmBPE)
	if got, want := body(spm, spm.Encode(text)), spm.encodeChunk(nil, text, true); !spm.parallel || !reflect.DeepEqual(got, want) {
		t.Errorf("spm: chunked encode differs from sequential (parallel %v)", spm.parallel)
	}
}

// The books: chunked equals sequential and equals tiktoken-go, the
// hand-written splitters cut where regexp2 does, and the real GPT-2
// tokenizer.json and the gutenberg model's tokenizer.json equal r50k_base.
func TestSharedBooks(t *testing.T) {
	if !*long {
		t.Skip("run with -long")
	}
	tiktoken.SetBpeLoader(loader.NewOfflineLoader())
	r50k := mustEncoding(t, "r50k_base").(*byteBPE)
	others := map[string]Tokenizer{
		"gpt2 tokenizer.json":      loadShared(t, "data/gpt2_tokenizer/tokenizer.json"),
		"gutenberg tokenizer.json": loadShared(t, "models/gutenberg-llama-19m"),
	}
	for _, book := range []string{"frankenstein", "moby_dick", "pride_and_prejudice", "war_and_peace"} {
		text := string(readShared(t, filepath.Join("data/books", book+".txt")))
		want := r50k.encodePlain(nil, text)
		for name, tok := range others {
			if got := tok.Encode(text); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %s differs from r50k_base", book, name)
			}
		}
		for _, enc := range []string{"r50k_base", "cl100k_base", "o200k_base"} {
			b := mustEncoding(t, enc).(*byteBPE)
			seq := b.encodePlain(nil, text)
			if !reflect.DeepEqual(b.Encode(text), seq) {
				t.Errorf("%s: chunked %s differs from sequential", book, enc)
			}
			ref, err := tiktoken.GetEncoding(enc)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(seq, ref.EncodeOrdinary(text)) {
				t.Errorf("%s: %s differs from tiktoken-go", book, enc)
			}
		}
		checkSplitters(t, []string{text})
	}
}
