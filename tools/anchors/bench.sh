#!/usr/bin/env bash
# Measures gollm and the llama.cpp anchor side by side, in alternating rounds, and keeps
# every raw output. See docs/anchors.md for how the inputs are prepared.
#
# usage: tools/anchors/bench.sh OUTDIR [ROUNDS]
#
# Environment (defaults in brackets):
#   LLAMA_BIN  folder holding already-built llama-bench and llama-perplexity [/tmp/llama.cpp/build/bin]
#   GGUF_DIR   folder holding model-f32.gguf and model-bf16.gguf from hf_llama_to_gguf.py [/tmp/anchors]
#   GOLLM      gollm binary [/tmp/gollm]
#   MODEL      HF model folder gollm reads [../shared/models/gutenberg-llama-19m]
#   TEXT       perplexity text [../shared/data/books/moby_dick.txt]
#   THREADS    threads for both engines [2]
#   REPS       repeats inside each tool per round (each tool reports its own mean/median) [3]
#   MAX_LOAD   wait (at most WAIT_S seconds) before a round until the 1-min load average is below this [1.5]
#   WAIT_S     [120]
#   DEPTH      cached tokens for the decode-at-depth pair (llama-bench -d, gollm --kv-fill; f16 KV) [16000]
#
# Summarise afterwards with: python3 tools/anchors/summarize.py OUTDIR
set -euo pipefail

out=${1:?usage: bench.sh OUTDIR [ROUNDS]}
rounds=${2:-3}
LLAMA_BIN=${LLAMA_BIN:-/tmp/llama.cpp/build/bin}
GGUF_DIR=${GGUF_DIR:-/tmp/anchors}
GOLLM=${GOLLM:-/tmp/gollm}
MODEL=${MODEL:-../shared/models/gutenberg-llama-19m}
TEXT=${TEXT:-../shared/data/books/moby_dick.txt}
THREADS=${THREADS:-2}
REPS=${REPS:-3}
MAX_LOAD=${MAX_LOAD:-1.5}
WAIT_S=${WAIT_S:-120}
DEPTH=${DEPTH:-16000}

for f in "$LLAMA_BIN/llama-bench" "$LLAMA_BIN/llama-perplexity" "$GOLLM"; do
	[[ -x $f ]] || { echo "bench.sh: $f: not an executable" >&2; exit 1; }
done
for f in "$GGUF_DIR/model-f32.gguf" "$GGUF_DIR/model-bf16.gguf" "$MODEL/config.json" "$TEXT"; do
	[[ -f $f ]] || { echo "bench.sh: $f: not found" >&2; exit 1; }
done
mkdir -p "$out"

pp=512,2048,8192
# run NAME CMD...: runs one measurement, stdout to NAME.out, stderr to NAME.err, and logs
# the command, the time and the load average before it to commands.log.
run() {
	local name=$1
	shift
	printf '%s\t%s\t%s\t%s\n' "$name" "$(date -u +%FT%TZ)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$*" >>"$out/commands.log"
	"$@" >"$out/$name.out" 2>"$out/$name.err"
}

wait_quiet() {
	local waited=0
	while awk -v m="$MAX_LOAD" '{exit !($1 >= m)}' /proc/loadavg && ((waited < WAIT_S)); do
		sleep 10
		waited=$((waited + 10))
	done
}

for r in $(seq 1 "$rounds"); do
	wait_quiet
	run "r$r-lb-bf16-fa1" "$LLAMA_BIN/llama-bench" -m "$GGUF_DIR/model-bf16.gguf" -t "$THREADS" -fa 1 -p $pp -n 128 -r "$REPS" -o jsonl
	run "r$r-gl-flash" "$GOLLM" bench model --model "$MODEL" --pp $pp --tg 128 --threads "$THREADS" --reps "$REPS" --json
	run "r$r-lb-f32-fa1" "$LLAMA_BIN/llama-bench" -m "$GGUF_DIR/model-f32.gguf" -t "$THREADS" -fa 1 -p $pp -n 128 -r "$REPS" -o jsonl
	run "r$r-gl-hyper8" "$GOLLM" bench model --model "$MODEL" --pp $pp --tg 128 --threads "$THREADS" --reps "$REPS" --hyper-layers 8 --json
	run "r$r-lb-f32-fa0" "$LLAMA_BIN/llama-bench" -m "$GGUF_DIR/model-f32.gguf" -t "$THREADS" -fa 0 -p $pp -n 128 -r "$REPS" -o jsonl
	run "r$r-lp-f32" "$LLAMA_BIN/llama-perplexity" -m "$GGUF_DIR/model-f32.gguf" -f "$TEXT" -c 1024 --chunks 8 -t "$THREADS"
	run "r$r-gp-llamacpp" "$GOLLM" perplexity --model "$MODEL" --file "$TEXT" --ctx 1024 --chunks 8 --protocol llamacpp --threads "$THREADS" --json
	run "r$r-lp-bf16" "$LLAMA_BIN/llama-perplexity" -m "$GGUF_DIR/model-bf16.gguf" -f "$TEXT" -c 1024 --chunks 8 -t "$THREADS"
	run "r$r-gp-windows" "$GOLLM" perplexity --model "$MODEL" --file "$TEXT" --ctx 1024 --windows 8 --threads "$THREADS" --json
	# Decoding after DEPTH cached tokens, both with an f16 KV cache (llama.cpp's default):
	# llama-bench prefills DEPTH tokens first; gollm fills its cache with random values.
	run "r$r-lb-bf16-fa1-depth" "$LLAMA_BIN/llama-bench" -m "$GGUF_DIR/model-bf16.gguf" -t "$THREADS" -fa 1 -p 0 -n 128 -d "$DEPTH" -r "$REPS" -o jsonl
	run "r$r-gl-flash-depth" "$GOLLM" bench model --model "$MODEL" --pp 1 --tg 128 --kv-fill "$DEPTH" --kv-type f16 --threads "$THREADS" --reps "$REPS" --json
done
echo "bench.sh: raw outputs in $out" >&2
