#!/usr/bin/env python3
"""Write an HF LlamaForCausalLM folder (safetensors, GPT-2 byte-level BPE tokenizer.json) as GGUF.

This exists so that llama.cpp can serve as a speed anchor for gollm without installing
transformers or torch: it needs only numpy and llama.cpp's own gguf-py package, e.g.

    PYTHONPATH=/tmp/llama.cpp/gguf-py python3 tools/anchors/hf_llama_to_gguf.py \
        /work/shared/models/gutenberg-llama-19m /tmp/anchors/model-f32.gguf --type f32

Scope: dense Llama checkpoints whose weights are bf16, f16 or f32 and whose tokenizer is a
GPT-2 style BPE (tokenizer.ggml.model "gpt2", pre-tokenizer "gpt-2"). Anything else is
rejected with an error naming the file and field. Like llama.cpp's converter it
 * reorders the rows of q_proj / k_proj from HF's rotate-half RoPE layout to the
   interleaved-pair layout GGUF llama models use (per head: rows [0..d/2) and [d/2..d)
   are interleaved),
 * keeps 1-D tensors (norms) in f32 in every variant,
 * omits output.weight when the embeddings are tied (llama.cpp then reuses token_embd).
"""

import argparse
import json
import struct
import sys
from pathlib import Path

import numpy as np

try:
    import gguf
except ImportError:  # pragma: no cover - depends on the caller's PYTHONPATH
    sys.exit("hf_llama_to_gguf: cannot import gguf; set PYTHONPATH=<llama.cpp>/gguf-py")


class ConvertError(Exception):
    """A problem with the input folder, worded for the user."""


# safetensors dtype name -> numpy dtype of the stored elements
_ST_DTYPES = {"BF16": np.uint16, "F16": np.float16, "F32": np.float32}


def read_safetensors(path: Path) -> dict:
    """Return {name: (dtype string, shape, raw numpy array)} for one .safetensors file."""
    data = path.read_bytes()
    if len(data) < 8:
        raise ConvertError(f"{path}: too short to be a safetensors file")
    (hlen,) = struct.unpack("<Q", data[:8])
    if hlen > len(data) - 8:
        raise ConvertError(f"{path}: header length {hlen} exceeds file size")
    try:
        header = json.loads(data[8:8 + hlen])
    except ValueError as e:
        raise ConvertError(f"{path}: header is not JSON: {e}") from e
    base = 8 + hlen
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = info.get("dtype")
        if dtype not in _ST_DTYPES:
            raise ConvertError(f"{path}: tensor {name}: dtype {dtype!r} not supported (want BF16, F16, F32)")
        start, end = info["data_offsets"]
        npdt = np.dtype(_ST_DTYPES[dtype])
        shape = tuple(info["shape"])
        if end - start != int(np.prod(shape)) * npdt.itemsize or base + end > len(data):
            raise ConvertError(f"{path}: tensor {name}: data_offsets do not match shape {shape}")
        arr = np.frombuffer(data, dtype=npdt, count=(end - start) // npdt.itemsize,
                            offset=base + start).reshape(shape)
        out[name] = (dtype, arr)
    return out


def load_weights(model_dir: Path) -> dict:
    """Load every tensor of the checkpoint, sharded (index.json) or not."""
    index = model_dir / "model.safetensors.index.json"
    if index.is_file():
        weight_map = json.loads(index.read_text()).get("weight_map")
        if not isinstance(weight_map, dict):
            raise ConvertError(f"{index}: missing field weight_map")
        files = sorted(set(weight_map.values()))
    else:
        files = ["model.safetensors"]
    tensors = {}
    for f in files:
        p = model_dir / f
        if not p.is_file():
            raise ConvertError(f"{p}: not found")
        tensors.update(read_safetensors(p))
    return tensors


def to_f32(dtype: str, arr: np.ndarray) -> np.ndarray:
    """Widen stored elements to float32 exactly."""
    if dtype == "BF16":
        return (arr.astype(np.uint32) << 16).view(np.float32)
    return arr.astype(np.float32)


def rope_rows(w: np.ndarray, n_head: int) -> np.ndarray:
    """Reorder a projection's rows per head from HF's half-split RoPE order to interleaved pairs.

    Row r = h*d + i*(d/2) + j (i in {0,1}, j < d/2) moves to h*d + 2*j + i.
    """
    rows = w.shape[0]
    if rows % (2 * n_head):
        raise ConvertError(f"projection with {rows} rows cannot be split into {n_head} RoPE heads")
    half = rows // n_head // 2
    return w.reshape(n_head, 2, half, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def need(cfg: dict, key: str, cfg_path: Path):
    """Return cfg[key] or fail naming the file and field."""
    if key not in cfg:
        raise ConvertError(f"{cfg_path}: missing field {key}")
    return cfg[key]


def write_vocab(w, model_dir: Path, vocab_size: int) -> None:
    """Add the GPT-2 BPE vocabulary, merges and special tokens to the writer."""
    tok_path = model_dir / "tokenizer.json"
    try:
        tok = json.loads(tok_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ConvertError(f"{tok_path}: {e}") from e
    model = tok.get("model") or {}
    if model.get("type") != "BPE":
        raise ConvertError(f"{tok_path}: model.type is {model.get('type')!r}, want BPE")
    id_to_tok = {i: t for t, i in model.get("vocab", {}).items()}
    special = set()
    for a in tok.get("added_tokens", []):
        id_to_tok[a["id"]] = a["content"]
        if a.get("special"):
            special.add(a["id"])
    if id_to_tok and max(id_to_tok) >= vocab_size:
        raise ConvertError(f"{tok_path}: token id {max(id_to_tok)} >= config vocab_size {vocab_size}")
    tokens, types = [], []
    for i in range(vocab_size):
        if i not in id_to_tok:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
        else:
            tokens.append(id_to_tok[i])
            types.append(gguf.TokenType.CONTROL if i in special else gguf.TokenType.NORMAL)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("gpt-2")
    w.add_token_list(tokens)
    w.add_token_types(types)
    gguf.SpecialVocab(model_dir, load_merges=True).add_to_gguf(w, quiet=True)


def convert(model_dir: Path, out: Path, out_type: str) -> None:
    """Convert model_dir to a GGUF file at out with 2-D weights stored as out_type."""
    cfg_path = model_dir / "config.json"
    try:
        cfg = json.loads(cfg_path.read_text())
    except (OSError, ValueError) as e:
        raise ConvertError(f"{cfg_path}: {e}") from e
    arch = need(cfg, "architectures", cfg_path)
    if arch != ["LlamaForCausalLM"]:
        raise ConvertError(f"{cfg_path}: architectures is {arch}, only LlamaForCausalLM is handled")
    n_layer = need(cfg, "num_hidden_layers", cfg_path)
    n_embd = need(cfg, "hidden_size", cfg_path)
    n_head = need(cfg, "num_attention_heads", cfg_path)
    n_head_kv = cfg.get("num_key_value_heads", n_head)
    head_dim = cfg.get("head_dim") or n_embd // n_head
    vocab_size = need(cfg, "vocab_size", cfg_path)
    rope = cfg.get("rope_parameters") or {}
    theta = rope.get("rope_theta", cfg.get("rope_theta", 10000.0))
    if rope.get("rope_type", "default") != "default" or cfg.get("rope_scaling"):
        raise ConvertError(f"{cfg_path}: RoPE scaling is not handled by this script")

    ftype = {"f32": gguf.LlamaFileType.ALL_F32, "bf16": gguf.LlamaFileType.MOSTLY_BF16}[out_type]
    w = gguf.GGUFWriter(out, gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.LLAMA])
    w.add_name(model_dir.name)
    w.add_block_count(n_layer)
    w.add_context_length(need(cfg, "max_position_embeddings", cfg_path))
    w.add_embedding_length(n_embd)
    w.add_feed_forward_length(need(cfg, "intermediate_size", cfg_path))
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head_kv)
    w.add_rope_freq_base(float(theta))
    w.add_layer_norm_rms_eps(float(need(cfg, "rms_norm_eps", cfg_path)))
    w.add_vocab_size(vocab_size)
    w.add_rope_dimension_count(head_dim)
    w.add_file_type(ftype)
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    write_vocab(w, model_dir, vocab_size)

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, n_layer)
    for hf_name, (dtype, arr) in sorted(load_weights(model_dir).items()):
        if hf_name.endswith("rotary_emb.inv_freq"):
            continue
        gg_name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if gg_name is None:
            raise ConvertError(f"{model_dir}: tensor {hf_name} has no GGUF llama name")
        if hf_name.endswith("q_proj.weight"):
            arr = rope_rows(arr, n_head)
        elif hf_name.endswith("k_proj.weight"):
            arr = rope_rows(arr, n_head_kv)
        if out_type == "bf16" and arr.ndim > 1 and dtype == "BF16":
            # bf16 in, bf16 out: the stored bits are copied unchanged.
            w.add_tensor(gg_name, np.ascontiguousarray(arr).view(np.uint8),
                         raw_dtype=gguf.GGMLQuantizationType.BF16)
        elif out_type == "bf16" and arr.ndim > 1:
            bits = gguf.quantize(to_f32(dtype, arr), gguf.GGMLQuantizationType.BF16)
            w.add_tensor(gg_name, bits, raw_dtype=gguf.GGMLQuantizationType.BF16)
        else:
            w.add_tensor(gg_name, np.ascontiguousarray(to_f32(dtype, arr)))

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model_dir", type=Path, help="HF model folder (config.json, *.safetensors, tokenizer.json)")
    ap.add_argument("out", type=Path, help="GGUF file to write")
    ap.add_argument("--type", choices=("f32", "bf16"), default="f32", help="storage of 2-D weights")
    args = ap.parse_args()
    try:
        convert(args.model_dir, args.out, args.type)
    except ConvertError as e:
        sys.exit(f"hf_llama_to_gguf: {e}")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
