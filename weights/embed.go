package weights

import "embed"

// DefaultDir is the folder inside Default that holds the built-in model.
const DefaultDir = "default"

// Default holds gollm's built-in model as an HF folder under DefaultDir:
// config.json, generation_config.json, model.safetensors (bf16),
// tokenizer.json, tokenizer_config.json and reference.json (the transformers
// figures recorded at training time). It is a 7.9M-parameter Llama with the
// GPT-2 vocabulary trained at 8192 tokens of context by
// tools/train/train_default.py; weights/README.md tells how.
//
//go:embed default
var Default embed.FS
