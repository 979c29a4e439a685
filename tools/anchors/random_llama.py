#!/usr/bin/env python3
"""Write an HF LlamaForCausalLM folder of a given shape with random bf16 weights.

Speed anchors need the same file for both engines: this folder goes through
hf_llama_to_gguf.py (bf16 GGUF) and llama-quantize (Q8_0, Q4_K_M), and gollm reads
the folder itself or the same GGUF files. Only numpy is needed, e.g.

    /usr/bin/python3 tools/anchors/random_llama.py /tmp/anchors/llama-1b \
        --hidden 2048 --layers 16 --heads 32 --kv-heads 8 --intermediate 8192

The tokenizer (and so the vocabulary size) is copied from --tokenizer-from, by
default the gutenberg-llama-19m folder in ../shared (a GPT-2 byte-level BPE that
the converter accepts). Weights are N(0, 0.02²) rounded to bf16, norms are ones,
embeddings tied; the same --seed gives the same bytes.
"""

import argparse
import json
import shutil
import struct
import sys
from pathlib import Path

import numpy as np


def tensor_shapes(a, vocab):
    """The (name, shape) list of a Llama checkpoint, in file order."""
    hd = a.hidden // a.heads
    out = [("model.embed_tokens.weight", (vocab, a.hidden))]
    for i in range(a.layers):
        p = f"model.layers.{i}."
        out += [
            (p + "input_layernorm.weight", (a.hidden,)),
            (p + "post_attention_layernorm.weight", (a.hidden,)),
            (p + "self_attn.q_proj.weight", (a.heads * hd, a.hidden)),
            (p + "self_attn.k_proj.weight", (a.kv_heads * hd, a.hidden)),
            (p + "self_attn.v_proj.weight", (a.kv_heads * hd, a.hidden)),
            (p + "self_attn.o_proj.weight", (a.hidden, a.heads * hd)),
            (p + "mlp.gate_proj.weight", (a.intermediate, a.hidden)),
            (p + "mlp.up_proj.weight", (a.intermediate, a.hidden)),
            (p + "mlp.down_proj.weight", (a.hidden, a.intermediate)),
        ]
    out.append(("model.norm.weight", (a.hidden,)))
    return out


def to_bf16(x):
    """Round float32 to bfloat16 bit patterns (round to nearest even)."""
    b = x.astype(np.float32).view(np.uint32)
    return ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint16)


def write_safetensors(path, shapes, rng):
    """Stream the tensors into one safetensors file, one tensor in memory at a time."""
    header, off = {}, 0
    for name, shape in shapes:
        n = 2 * int(np.prod(shape))
        header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [off, off + n]}
        off += n
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for name, shape in shapes:
            if len(shape) == 1:
                f.write(to_bf16(np.ones(shape, np.float32)).tobytes())
                continue
            for r0 in range(0, shape[0], 1024):  # rows in slices: bounded memory
                rows = min(1024, shape[0] - r0)
                x = rng.standard_normal((rows, shape[1]), dtype=np.float32) * 0.02
                f.write(to_bf16(x).tobytes())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--hidden", type=int, default=2048)
    ap.add_argument("--layers", type=int, default=16)
    ap.add_argument("--heads", type=int, default=32)
    ap.add_argument("--kv-heads", type=int, default=8)
    ap.add_argument("--intermediate", type=int, default=8192)
    ap.add_argument("--context", type=int, default=8192)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tokenizer-from", type=Path,
                    default=Path(__file__).resolve().parents[2].parent / "shared/models/gutenberg-llama-19m")
    a = ap.parse_args()
    if a.hidden % a.heads or a.heads % a.kv_heads or min(a.hidden, a.layers, a.intermediate) <= 0:
        sys.exit("random_llama: hidden must divide into heads, heads into kv-heads, sizes positive")
    tok = a.tokenizer_from / "tokenizer.json"
    if not tok.is_file():
        sys.exit(f"random_llama: {tok}: no tokenizer.json to copy")
    vocab = json.loads((a.tokenizer_from / "config.json").read_text())["vocab_size"]
    a.out.mkdir(parents=True, exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        if (a.tokenizer_from / name).is_file():
            shutil.copy(a.tokenizer_from / name, a.out / name)
    src = json.loads((a.tokenizer_from / "config.json").read_text())
    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": a.hidden, "num_hidden_layers": a.layers,
        "num_attention_heads": a.heads, "num_key_value_heads": a.kv_heads,
        "head_dim": a.hidden // a.heads, "intermediate_size": a.intermediate,
        "vocab_size": vocab, "max_position_embeddings": a.context,
        "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "hidden_act": "silu",
        "tie_word_embeddings": True, "torch_dtype": "bfloat16",
        "bos_token_id": src.get("bos_token_id"), "eos_token_id": src.get("eos_token_id"),
    }
    (a.out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    write_safetensors(a.out / "model.safetensors", tensor_shapes(a, vocab), np.random.default_rng(a.seed))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
