#!/usr/bin/env python3
"""Decode speed at a long cache against the memory-bandwidth bound (issue 7).

Alternates `gollm bench memory` with `gollm run` on a long prompt, ROUNDS
times per KV cache type, and prints one row per run: decode tokens/s, the
bytes each token reads (weights + the whole KV cache), and the share of the
bound at the copy and at the read bandwidth measured just before and just
after that run (their mean). On a shared VM whose bandwidth swings by a
third within a minute, only a figure measured next to the run means much.

    tools/decodebound/decodebound.py GOLLM MODEL PROMPT_FILE [ROUNDS]

MODEL is an HF folder; the weight bytes counted are the size of its
*.safetensors files (a tied embedding is stored once and read once, as
the head).
"""
import glob
import json
import os
import statistics
import subprocess
import sys


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def memory(gollm):
    m = run_json([gollm, "bench", "memory", "--threads", "2", "--json"])
    return m["copy_gb_per_s"], m["read_gb_per_s"]


def weight_bytes(model):
    """Bytes of weights one decoded token reads: every tensor once."""
    return sum(os.path.getsize(f) for f in glob.glob(os.path.join(model, "*.safetensors")))


def main():
    gollm, model, prompt = sys.argv[1:4]
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    weights = weight_bytes(model)
    rows = []
    before = memory(gollm)
    for r in range(rounds):
        for kv in ("f32", "f16"):
            res = run_json([gollm, "run", "--model", model, "--prompt-file", prompt,
                            "--max-tokens", "128", "--temperature", "0",
                            "--hyper-layers", "8", "--kv-type", kv, "--json"])
            after = memory(gollm)
            copy = (before[0] + after[0]) / 2
            read = (before[1] + after[1]) / 2
            # The cache holds prompt + 128 positions; decode step i reads
            # prompt + i of them.
            cap = len(res["prompt_ids"]) + 128
            mean_len = len(res["prompt_ids"]) + len(res["ids"]) / 2
            per_token = weights + res["kv_cache_bytes"] * mean_len / cap
            tps = res["decode_tokens_per_s"]
            rows.append((kv, r + 1, tps, per_token, copy, read,
                         tps * per_token / (copy * 1e9), tps * per_token / (read * 1e9)))
            before = after
    print("| KV | round | decode tok/s | MB per token | copy GB/s | share of copy bound | read GB/s | share of read bound |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for kv, r, tps, b, copy, read, sc, sr in rows:
        print(f"| {kv} | {r} | {tps:.1f} | {b / 1e6:.1f} | {copy:.1f} | {sc:.0%} | {read:.1f} | {sr:.0%} |")
    for kv in ("f32", "f16"):
        sc = [x[6] for x in rows if x[0] == kv]
        sr = [x[7] for x in rows if x[0] == kv]
        print(f"{kv}: median share of the copy bound {statistics.median(sc):.0%}, "
              f"of the read bound {statistics.median(sr):.0%}")


if __name__ == "__main__":
    main()
