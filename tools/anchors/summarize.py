#!/usr/bin/env python3
"""Summarise the raw outputs of tools/anchors/bench.sh as markdown tables of medians and ratios.

usage: python3 tools/anchors/summarize.py OUTDIR

Each figure is the median (and, in a second table, the best) over rounds of what the tool
reported for that round (llama-bench: its mean over -r repeats; gollm bench model: its median
over --reps).
"""

import json
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

ROUND = re.compile(r"^r(\d+)-(.+)\.out$")
PPL = re.compile(r"Final estimate: PPL = ([0-9.]+)")
# llama-perplexity's log lines start with a min.s.ms.us timestamp; it prints no usable
# throughput itself, so tokens/s is chunks × n_ctx over the time from its "calculating
# perplexity over" line to its "Final estimate" line (forward passes and scoring).
STAMP = r"(\d+)\.(\d+)\.(\d+)\.(\d+) I "
START = re.compile(STAMP + r"perplexity: calculating perplexity over (\d+) chunks, n_ctx=(\d+)")
FINAL = re.compile(STAMP + r"Final estimate")


def seconds(m) -> float:
    """The timestamp of a START or FINAL match in seconds."""
    mins, secs, ms, us = (int(g) for g in m.groups()[:4])
    return mins * 60 + secs + ms / 1e3 + us / 1e6


def llama_perplexity(text: str):
    """(PPL, tokens/s) from a llama-perplexity log, or None if it did not finish."""
    p, a, b = PPL.search(text), START.search(text), FINAL.search(text)
    if not (p and a and b):
        return None
    tokens = int(a.group(5)) * int(a.group(6))
    return float(p.group(1)), tokens / (seconds(b) - seconds(a))


def records(path: Path):
    """Yield the JSON objects of a JSON-lines file, skipping non-JSON lines."""
    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith("{"):
            yield json.loads(line)


def collect(out: Path):
    """Return speed[(config, test)] -> [tokens/s per round] and ppl[config] -> [(ppl, tokens/s)]."""
    speed = defaultdict(list)
    ppl = defaultdict(list)
    for f in sorted(out.glob("r*-*.out")):
        m = ROUND.match(f.name)
        if not m:
            continue
        cfg = m.group(2)
        if cfg.startswith("lb-"):
            for rec in records(f):
                test = f"pp{rec['n_prompt']}" if rec["n_gen"] == 0 else f"tg{rec['n_gen']}"
                if rec.get("n_depth"):
                    test += f"@d{rec['n_depth']}"
                speed[(cfg, test)].append(rec["avg_ts"])
        elif cfg.startswith("gl-"):
            for rec in records(f):
                ts = rec.get("prefill_tokens_per_s") or rec.get("decode_tokens_per_s")
                speed[(cfg, rec["test"])].append(ts)
        elif cfg.startswith("lp-"):
            res = llama_perplexity(f.read_text() + f.with_suffix(".err").read_text())
            if res:
                ppl[cfg].append(res)
        elif cfg.startswith("gp-"):
            for rec in records(f):
                ppl[cfg].append((rec["ppl"], rec["tokens_per_s"]))
    return speed, ppl


def med(xs):
    """Median, or None for no data."""
    return statistics.median(xs) if xs else None


def fmt(x, spec="{:,.0f}"):
    """Format a number, or a dash for None."""
    return "–" if x is None else spec.format(x)


def ratio(a, b):
    """a/b formatted, or a dash."""
    return "–" if a is None or b is None else f"{a / b:.2f}"


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[2])
    out = Path(sys.argv[1])
    if not out.is_dir():
        sys.exit(f"summarize.py: {out}: not a folder")
    speed, ppl = collect(out)

    cols = ["lb-bf16-fa1", "lb-f32-fa1", "lb-f32-fa0", "gl-flash", "gl-hyper8"]
    for label, agg in (("median", med), ("best", lambda xs: max(xs) if xs else None)):
        print(f"tokens/s, {label} over rounds:")
        print()
        print("| test | " + " | ".join(cols) + " | gl-flash / lb-bf16-fa1 | gl-hyper8 / lb-bf16-fa1 | rounds |")
        print("|" + " --- |" * (len(cols) + 4))
        for test in ("pp512", "pp2048", "pp8192", "tg128"):
            m = {c: agg(speed[(c, test)]) for c in cols}
            n = min(len(speed[(c, test)]) for c in cols)
            print(f"| {test} | " + " | ".join(fmt(m[c]) for c in cols)
                  + f" | {ratio(m['gl-flash'], m['lb-bf16-fa1'])} | {ratio(m['gl-hyper8'], m['lb-bf16-fa1'])} | {n} |")
        print()

    depth = sorted({t for (c, t) in speed if c == "gl-flash-depth" and "@d" in t})
    if depth:
        print("decode at depth (f16 KV cache), tokens/s, median over rounds:")
        print()
        print("| test | lb-bf16-fa1-depth | gl-flash-depth | gollm / llama.cpp | rounds |")
        print("| --- | --- | --- | --- | --- |")
        for test in depth:
            a, b = med(speed[("lb-bf16-fa1-depth", test)]), med(speed[("gl-flash-depth", test)])
            n = min(len(speed[("lb-bf16-fa1-depth", test)]), len(speed[("gl-flash-depth", test)]))
            print(f"| {test} | {fmt(a)} | {fmt(b)} | {ratio(b, a)} | {n} |")
        print()

    print("| perplexity run | PPL | tokens/s (median) | per round | vs lp-f32 |")
    print("| --- | --- | --- | --- | --- |")
    base = med([t for _, t in ppl["lp-f32"]])
    for cfg in ("lp-f32", "lp-bf16", "gp-llamacpp", "gp-windows"):
        runs = ppl[cfg]
        ts = med([t for _, t in runs])
        ppls = sorted({f"{p:.4f}" for p, _ in runs})
        print(f"| {cfg} | {', '.join(ppls) or '–'} | {fmt(ts)} | {', '.join(fmt(t) for _, t in runs)} | {ratio(ts, base)} |")

    log = out / "commands.log"
    if log.is_file():
        print()
        print("load average (1/5/15 min) before each run:")
        for line in log.read_text().splitlines():
            name, when, load, _ = line.split("\t", 3)
            print(f"- {name} {when} {load}")


if __name__ == "__main__":
    main()
