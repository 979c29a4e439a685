#!/bin/bash
# A sharded perplexity sweep as a Slurm job array (docs/scale-out.md).
# Each of the 3 tasks gets SLURM_ARRAY_TASK_ID 0, 1 or 2 (and
# SLURM_ARRAY_TASK_COUNT 3); gollm perplexity --shard auto takes them as
# its shard, evaluates that shard's windows and writes its part. Submit it,
# and the merge to run when every task has succeeded:
#   job=$(sbatch --parsable deploy/slurm-perplexity.sh)
#   sbatch --dependency=afterok:$job --wrap 'gollm perplexity merge parts/part-*.json > perplexity.txt'
# A task requeued or run again writes the same part, byte for byte.
#SBATCH --job-name=gollm-perplexity
#SBATCH --array=0-2
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=01:00:00
#SBATCH --output=gollm-perplexity-%A_%a.log
set -euo pipefail

GOLLM=${GOLLM:-gollm}
MODEL=${MODEL:-/models/gutenberg-llama-19m}
DATA=${DATA:-/data/moby_dick.txt}
PARTS=${PARTS:-parts}
mkdir -p "$PARTS"

srun "$GOLLM" perplexity --model "$MODEL" --file "$DATA" \
  --ctx 2048 --windows 6 --hyper-layers 0,4 --kl --threads "${SLURM_CPUS_PER_TASK:-2}" \
  --shard auto --out-part "$PARTS/part-$SLURM_ARRAY_TASK_ID.json"
