#!/usr/bin/env python3
"""Train gollm's embedded default model and record transformers reference figures.

A small Llama (GPT-2 BPE vocabulary, 8192-token context, tied embeddings) is trained
for a fixed wall-clock budget on the public-domain books of train_books.tgz, the
checkpoint with the lowest loss on two held-out books is kept, saved in bf16 as an
HF folder, reloaded, and evaluated by transformers in float32 (no TF32):
moby_dick (first 8 windows of 1024, first window of 8192), the project's own
held-out text, and a greedy continuation of "Once upon a time".

Runs on a CUDA machine with torch, transformers, tiktoken and tokenizers.
See weights/README.md for the exact command.
"""
import argparse
import json
import math
import os
import tarfile
import time

import tiktoken
import torch
import torch.nn.functional as F
import transformers
from tokenizers import Tokenizer
from transformers import LlamaConfig, LlamaForCausalLM

EOT = 50256
VOCAB = 50257
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
PROMPT = "Once upon a time"
GREEDY_TOKENS = 32
SELECT_BOOKS = ("frankenstein", "pride_and_prejudice")  # checkpoint selection only
REPORT_BOOK = "moby_dick"                                # reported, never used for selection
DTYPE_KW = "dtype" if int(transformers.__version__.split(".")[0]) >= 5 else "torch_dtype"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="train_books.tgz (train/*.txt inside); required unless --eval-only")
    p.add_argument("--encoder", required=True, help="GPT-2 encoder.json (token string -> id)")
    p.add_argument("--tokenizer", required=True, help="an r50k-equivalent HF tokenizer.json to ship")
    p.add_argument("--books", required=True, help="folder with the held-out books (*.txt)")
    p.add_argument("--heldout", required=True, help="the project's held-out text")
    p.add_argument("--out", required=True, help="output HF folder")
    p.add_argument("--log", help="where to write the training log (JSON); required unless --eval-only")
    p.add_argument("--eval-only", action="store_true",
                   help="skip training: recompute reference.json for the folder already in --out")
    p.add_argument("--seconds", type=float, default=400.0, help="training wall-clock budget")
    p.add_argument("--ctx", type=int, default=8192)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    if not args.eval_only and not (args.data and args.log):
        p.error("--data and --log are required unless --eval-only")
    return args


def byte_decoder():
    """Map GPT-2's printable stand-in characters (as in encoder.json) back to raw bytes."""
    printable = set(range(33, 127)) | set(range(161, 173)) | set(range(174, 256))
    table, shifted = {}, 0
    for b in range(256):
        if b in printable:
            table[chr(b)] = b
        else:
            table[chr(256 + shifted)] = b
            shifted += 1
    return table


def gpt2_encoding(encoder_path):
    """A tiktoken Encoding with GPT-2's ranks, built offline from encoder.json."""
    dec = byte_decoder()
    with open(encoder_path, encoding="utf-8") as f:
        vocab = json.load(f)
    ranks = {bytes(dec[c] for c in tok): i for tok, i in vocab.items() if i != EOT}
    return tiktoken.Encoding("gpt2-offline", pat_str=GPT2_PATTERN, mergeable_ranks=ranks,
                             special_tokens={"<|endoftext|>": EOT})


def read_training_texts(tgz):
    """All .txt members of the archive, in name order."""
    with tarfile.open(tgz) as tf:
        members = sorted((m for m in tf.getmembers() if m.isfile() and m.name.endswith(".txt")),
                         key=lambda m: m.name)
        return [tf.extractfile(m).read().decode("utf-8") for m in members]


def read_text(path):
    """A UTF-8 text file as one string."""
    with open(path, encoding="utf-8") as f:
        return f.read()


def ship_tokenizer(src, dst, enc, samples):
    """Write src compactly to dst after checking it tokenizes like tiktoken on the samples."""
    with open(src, encoding="utf-8") as f:
        spec = json.load(f)
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(spec, f, ensure_ascii=False, separators=(",", ":"))
    tk = Tokenizer.from_file(dst)
    for s in samples:
        want, got = enc.encode_ordinary(s), tk.encode(s, add_special_tokens=False).ids
        if want != got:
            raise SystemExit(f"{src}: tokenizer.json disagrees with tiktoken GPT-2 on a sample "
                             f"({len(got)} vs {len(want)} tokens)")


def window_nll(model, ids, ctx, count, dev):
    """Summed NLL of targets 1..ctx-1 of each of the first `count` windows, one fresh forward each."""
    per = []
    with torch.no_grad():
        for w in range(count):
            x = torch.tensor(ids[w * ctx:(w + 1) * ctx], device=dev)[None]
            logits = model(x).logits[0].double()
            per.append(F.cross_entropy(logits[:-1], x[0, 1:], reduction="sum").item())
    return per


def lr_at(step, elapsed, args, warmup=200, floor=1e-4):
    """Linear warm-up by step, then cosine decay by elapsed fraction of the time budget."""
    if step < warmup:
        return args.lr * (step + 1) / warmup
    frac = min(1.0, elapsed / args.seconds)
    return floor + 0.5 * (args.lr - floor) * (1 + math.cos(math.pi * frac))


def train(args, stream, select, dev):
    """Train within the time budget; returns the model with its best checkpoint and a log."""
    cfg = LlamaConfig(vocab_size=VOCAB, hidden_size=128, intermediate_size=512, num_hidden_layers=6,
                      num_attention_heads=2, num_key_value_heads=1, head_dim=64,
                      max_position_embeddings=args.ctx, rope_theta=500000.0, rms_norm_eps=1e-5,
                      tie_word_embeddings=True, bos_token_id=EOT, eos_token_id=EOT, initializer_range=0.02)
    cfg._attn_implementation = "sdpa"
    model = LlamaForCausalLM(cfg).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.1, fused=True)
    offsets = torch.arange(args.ctx + 1, device=dev)
    best, best_state, log, step = float("inf"), None, [], 0
    start = time.time()

    def select_nll():
        model.eval()
        with torch.autocast("cuda", dtype=torch.bfloat16):
            tot = sum(sum(window_nll(model, ids, args.ctx, 1, dev)) for ids in select)
        model.train()
        return tot / (len(select) * (args.ctx - 1))

    while time.time() - start < args.seconds:
        lr = lr_at(step, time.time() - start, args)
        for g in opt.param_groups:
            g["lr"] = lr
        starts = torch.randint(0, len(stream) - args.ctx - 1, (args.batch, 1), device=dev)
        x = stream[starts + offsets]
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = model(x[:, :-1]).logits
        loss = F.cross_entropy(logits.float().reshape(-1, VOCAB), x[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 100 == 0:
            ev = select_nll()
            log.append({"step": step, "t": round(time.time() - start, 1), "lr": lr,
                        "train_nll": round(loss.item(), 4), "select_nll": round(ev, 4)})
            print(log[-1], flush=True)
            if ev < best:
                best, best_state = ev, {k: v.detach().clone() for k, v in model.state_dict().items()}
    ev = select_nll()
    if ev < best:  # the final weights are the best: keep them as they are
        best, best_state = ev, None
    if best_state is not None:
        model.load_state_dict(best_state)
    summary = {"steps": step, "seconds": round(time.time() - start, 1), "batch": args.batch, "ctx": args.ctx,
               "peak_lr": args.lr, "tokens_seen": step * args.batch * args.ctx,
               "best_select_nll": best, "select_books": list(SELECT_BOOKS),
               "params": sum(p.numel() for p in model.parameters())}
    return model, summary, log


def save_tokenizer(args, enc, samples):
    """tokenizer.json (checked against tiktoken) and tokenizer_config.json."""
    os.makedirs(args.out, exist_ok=True)
    ship_tokenizer(args.tokenizer, os.path.join(args.out, "tokenizer.json"), enc, samples)
    with open(os.path.join(args.out, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "GPT2TokenizerFast", "bos_token": "<|endoftext|>",
                   "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "add_bos_token": False,
                   "model_max_length": args.ctx}, f, indent=1)
        f.write("\n")


def save_model(model, args):
    """bf16 weights, config.json and generation_config.json."""
    model.generation_config.bos_token_id = EOT
    model.generation_config.eos_token_id = EOT
    model.to(torch.bfloat16).save_pretrained(args.out, safe_serialization=True)


def references(args, enc, book_ids, heldout_text, dev):
    """transformers float32 figures for the saved folder (reloaded from its bf16 weights)."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    ref = LlamaForCausalLM.from_pretrained(args.out, attn_implementation="eager",
                                           **{DTYPE_KW: torch.bfloat16}).float().to(dev).eval()
    out = {"transformers": transformers.__version__, "torch": torch.__version__,
           "reference": "weights loaded from the bf16 safetensors, computed in float32 (no TF32), eager attention",
           "tokenization": "GPT-2 BPE (tiktoken r50k_base ranks) encode_ordinary of the whole file, no BOS",
           "protocol": "first K non-overlapping windows of CTX tokens from token 0, each one forward from an "
                       "empty cache; NLL summed over targets 1..CTX-1 of every window; "
                       "ppl = exp(total NLL / (K*(CTX-1)))"}
    books = {}
    for ctx, k in ((1024, 8), (args.ctx, 1)):
        per = window_nll(ref, book_ids, ctx, k, dev)
        n = k * (ctx - 1)
        books[f"ctx{ctx}_windows{k}"] = {"ppl": math.exp(sum(per) / n), "mean_nll": sum(per) / n,
                                         "window_nll_sums": per}
    out["books"] = {REPORT_BOOK: dict(tokens=len(book_ids), first_ids=book_ids[:16], **books)}
    hids = enc.encode_ordinary(heldout_text)
    if len(hids) > args.ctx:
        raise SystemExit(f"{args.heldout}: {len(hids)} tokens, more than one {args.ctx}-token window")
    total = window_nll(ref, hids, len(hids), 1, dev)[0]
    out["heldout"] = {"file": "testdata/heldout.txt", "tokens": len(hids), "ids": hids, "nll_sum": total,
                      "mean_nll": total / (len(hids) - 1), "ppl": math.exp(total / (len(hids) - 1))}
    pids = enc.encode_ordinary(PROMPT)
    with torch.no_grad():
        ref.generation_config.eos_token_id = None
        g = ref.generate(torch.tensor([pids], device=dev), do_sample=False, min_new_tokens=GREEDY_TOKENS,
                         max_new_tokens=GREEDY_TOKENS, eos_token_id=None, pad_token_id=EOT)
    gids = g[0, len(pids):].tolist()
    out["greedy"] = {"prompt": PROMPT, "prompt_ids": pids, "ids": gids, "text": enc.decode(gids)}
    return out


def train_and_save(args, enc, books, heldout_text, dev):
    """Tokenize the training books, train, save the folder; returns the training summary."""
    t0 = time.time()
    texts = read_training_texts(args.data)
    flat = []
    for doc in enc.encode_ordinary_batch(texts, num_threads=16):
        flat.extend(doc)
        flat.append(EOT)
    stream = torch.tensor(flat, dtype=torch.int64, device=dev)
    print(f"tokenized {len(texts)} books, {len(stream)} tokens, in {time.time() - t0:.1f}s", flush=True)
    save_tokenizer(args, enc, [heldout_text, read_text(os.path.join(args.books, REPORT_BOOK + ".txt"))[:200000]])
    model, summary, log = train(args, stream, [books[n] for n in SELECT_BOOKS], dev)
    summary["train_tokens"] = len(stream)
    summary["train_books"] = len(texts)
    print("training:", summary, flush=True)
    save_model(model, args)
    with open(args.log, "w") as f:
        json.dump(log, f, indent=1)
    return summary


def main():
    args = parse_args()
    torch.manual_seed(args.seed)
    dev = "cuda"
    enc = gpt2_encoding(args.encoder)
    books = {name: enc.encode_ordinary(read_text(os.path.join(args.books, name + ".txt")))
             for name in SELECT_BOOKS + (REPORT_BOOK,)}
    heldout_text = read_text(args.heldout)
    ref_path = os.path.join(args.out, "reference.json")
    if args.eval_only:
        with open(ref_path) as f:
            summary = json.load(f)["training"]
    else:
        summary = train_and_save(args, enc, books, heldout_text, dev)
    refs = references(args, enc, books[REPORT_BOOK], heldout_text, dev)
    refs["training"] = summary
    refs["files"] = {f: os.path.getsize(os.path.join(args.out, f)) for f in sorted(os.listdir(args.out))
                     if f != "reference.json"}
    with open(ref_path, "w") as f:
        json.dump(refs, f, indent=1)
        f.write("\n")
    print(json.dumps({k: v for k, v in refs.items() if k not in ("heldout",)}, indent=1)[:4000], flush=True)
    print("heldout ppl", refs["heldout"]["ppl"], "greedy:", refs["greedy"]["text"], flush=True)


if __name__ == "__main__":
    main()
