package tokenizer

import "fmt"

// ggufPre is what a tokenizer.ggml.pre name stands for: the split patterns
// of the HF pre-tokenizer behind it (run in order, newSplitter), whether its
// normalizer is NFC, llama.cpp's default for add_bos_token, and whether the
// model's BPE has ignore_merges (a piece that is a token is that token, even
// one no merge builds, as with tiktoken-born vocabularies).
type ggufPre struct {
	patterns     []string
	nfc          bool
	addBOS       bool
	ignoreMerges bool
}

// Split patterns of pre-tokenizers that only GGUF names need.
const (
	patDigit  = `\p{N}`
	patTekken = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+` +
		`|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*` +
		`|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	patQwen35    = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	patSeedCoder = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+`
	patDeepSeek3 = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+" +
		`| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// ggufPres maps the tokenizer.ggml.pre names of byte-level BPE vocabularies
// that gollm runs to their pre-tokenizers, grouped as llama.cpp's
// llama-vocab.cpp groups them. Where llama.cpp rewrote a pattern for its own
// regex engine, the pattern here is the tokenizer.json original, as the HF
// tokenizer runs it. "default" (also what a file without the key gets) is
// llama.cpp's own fallback, which no HF tokenizer has.
var ggufPres = func() map[string]ggufPre {
	m := map[string]ggufPre{}
	add := func(p ggufPre, names ...string) {
		for _, n := range names {
			m[n] = p
		}
	}
	add(ggufPre{patterns: []string{patGPT2}}, "gpt-2", "phi-2", "mpt", "olmo", "jais", "trillion",
		"granite-docling", "gigachat", "a.x-4.0", "mellum", "exaone4")
	add(ggufPre{patterns: []string{patCL100k}, addBOS: true, ignoreMerges: true}, "llama3", "llama-v3", "llama-bpe", "falcon3",
		"falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano")
	add(ggufPre{patterns: []string{patCL100k}}, "dbrx", "smaug-bpe", "glm4", "chatglm-bpe")
	add(ggufPre{patterns: []string{patQwen2}, nfc: true}, "qwen2", "deepseek-r1-qwen", "megrez")
	add(ggufPre{patterns: []string{patQwen2}}, "stablelm2", "hunyuan", "solar-open", "grok-2", "kormo", "f2llmv2")
	add(ggufPre{patterns: []string{patQwen35}, nfc: true}, "qwen35")
	add(ggufPre{patterns: []string{patO200k}}, "gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2")
	add(ggufPre{patterns: []string{patDigit, patGPT2}}, "starcoder", "refact", "command-r", "smollm",
		"codeshell", "exaone", "minerva-7b", "mellum2")
	add(ggufPre{patterns: []string{patTekken}, addBOS: true, ignoreMerges: true}, "tekken")
	add(ggufPre{patterns: []string{patSeedCoder}}, "seed-coder")
	add(ggufPre{patterns: []string{`\p{N}{1,3}`, `[一-龥぀-ゟ゠-ヿ]+`, patDeepSeek3}}, "deepseek-v3", "hunyuan-dense", "joyai-llm")
	add(ggufPre{patterns: []string{`[\p{P}\$\+<=>\^~\|]+`, patGPT2, `\p{N}+`, `[0-9][0-9][0-9]`}}, "default", "")
	return m
}()

// ggufPreFor returns the pre-tokenizer of a tokenizer.ggml.pre name, or an
// error naming it.
func ggufPreFor(name string) (ggufPre, error) {
	p, ok := ggufPres[name]
	if !ok {
		return p, fmt.Errorf("tokenizer.ggml.pre %q: this pre-tokenizer is not supported", name)
	}
	return p, nil
}

// ggufPreName returns the tokenizer.ggml.pre name GGUF files give the split
// pattern of a tokenizer.json, or "" when there is none gollm knows.
func ggufPreName(pattern string, nfc bool) string {
	switch {
	case pattern == patGPT2 && !nfc:
		return "gpt-2"
	case pattern == patCL100k && !nfc:
		return "llama-bpe"
	case pattern == patQwen2 && nfc:
		return "qwen2"
	case pattern == patO200k && !nfc:
		return "gpt-4o"
	}
	return ""
}
