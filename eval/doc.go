// Package eval measures language-model quality on long documents: perplexity
// under several protocols (the reference's windows, the HyperAttention
// paper's truncated documents, llama-perplexity's half-scored chunks, HF's
// strided sliding window), for any attention plan, with sweeps over plans
// and a per-token comparison (KL, top-1, Δp) against a reference plan.
package eval
