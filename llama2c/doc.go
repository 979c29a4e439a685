// Package llama2c reads the model and tokenizer files of Karpathy's
// llama2.c — model .bin files in the legacy headerless layout (version 0)
// and the "ak42" layouts (version 1, float32; version 2, Q8_0), and
// tokenizer .bin files — and writes them out as a Hugging Face Llama model
// folder (config.json, model.safetensors in F32, tokenizer.json,
// tokenizer_config.json, generation_config.json) that gollm and
// transformers run unchanged.
//
// llama2.c rotates interleaved pairs (x[2i], x[2i+1]) of each head; HF
// Llama rotates halves (x[i], x[i+d/2]). The writer permutes the rows of
// the query and key projections within each head so that the two agree,
// as transformers' own Llama converter does.
package llama2c
