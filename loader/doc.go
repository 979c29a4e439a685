// Package loader reads a Hugging Face model folder: config.json (normalised
// across transformers 4 and 5 and across the supported architectures),
// generation_config.json, and safetensors weights (one file, or shards named
// by model.safetensors.index.json), memory-mapped read-only and validated
// before any tensor is handed out.
package loader
