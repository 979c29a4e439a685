package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/gollm/gollm/loader"
	"github.com/spf13/cobra"
)

// infoOpts are the flags of `gollm info`.
type infoOpts struct {
	model  string
	asJSON bool
}

func init() {
	var o infoOpts
	cmd := &cobra.Command{
		Use:   "info --model DIR|FILE.gguf",
		Short: "Describe an HF model folder or GGUF file: architecture, parameters, dtypes, context, memory",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInfo(cmd.OutOrStdout(), o)
		},
	}
	cmd.Flags().StringVar(&o.model, "model", "", "HF model folder (config.json + safetensors) or GGUF file")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print JSON instead of a table")
	_ = cmd.MarkFlagRequired("model")
	rootCmd.AddCommand(cmd)
}

// infoReport is the JSON form of `gollm info`.
type infoReport struct {
	Dir     string         `json:"dir"`
	Summary loader.Summary `json:"summary"`
	Config  *loader.Config `json:"config"`
}

// runInfo opens the model folder and writes its description to w.
func runInfo(w io.Writer, o infoOpts) error {
	c, err := loader.Open(o.model)
	if err != nil {
		return err
	}
	defer c.Close()
	s := c.Summarize()
	if o.asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(infoReport{Dir: c.Dir, Summary: s, Config: c.Config})
	}
	cfg := c.Config
	dtypes := make([]string, 0, len(s.DTypes))
	for _, name := range s.DTypeNames() {
		dtypes = append(dtypes, fmt.Sprintf("%s %s in %d tensors (%s)", name, infoCount(s.DTypes[name]), s.DTypeTensors[name], infoBytes(s.DTypeBytes[name])))
	}
	rows := [][2]string{
		{"model", c.Dir},
		{"architecture", fmt.Sprintf("%s (%s)", cfg.ModelType, strings.Join(cfg.Architectures, ", "))},
		{"parameters", fmt.Sprintf("%s in %d tensors (tied embeddings: %v)", infoCount(s.Parameters), s.Tensors, cfg.TieEmbeddings)},
		{"dtypes", strings.Join(dtypes, ", ")},
		{"shape", fmt.Sprintf("%d layers, hidden %d, %d heads / %d KV heads of dim %d, MLP %d, vocab %d",
			cfg.Layers, cfg.Hidden, cfg.Heads, cfg.KVHeads, cfg.HeadDim, cfg.Intermediate, cfg.VocabSize)},
		{"context length", fmt.Sprintf("%d tokens", s.ContextLength)},
		{"positions", infoPositions(cfg)},
		{"weights", fmt.Sprintf("%s as stored, %.3f bytes per weight", infoBytes(s.WeightBytes), s.BytesPerWeight)},
		{"decode bound", fmt.Sprintf("%s of weights read per token", infoBytes(s.DecodeBytesPerToken))},
		{"KV cache (f32)", fmt.Sprintf("%s per 1k tokens, %s at full context", infoBytes(s.KVCacheBytesPer1K), infoBytes(s.KVCacheBytesContext))},
	}
	for _, r := range rows {
		if _, err := fmt.Fprintf(w, "%-16s %s\n", r[0], r[1]); err != nil {
			return err
		}
	}
	return nil
}

// infoPositions describes the position encoding of cfg.
func infoPositions(cfg *loader.Config) string {
	if cfg.Rope.Type == "none" {
		return "learned absolute"
	}
	s := fmt.Sprintf("RoPE theta %g, %s scaling", cfg.RopeTheta, cfg.Rope.Type)
	switch cfg.Rope.Type {
	case "default":
	case "factors":
		s += fmt.Sprintf(" (%d per-frequency factors, GGUF rope_freqs)", len(cfg.Rope.FreqFactors))
	default:
		s += fmt.Sprintf(" ×%g from %d", cfg.Rope.Factor, cfg.Rope.OriginalMaxPositions)
	}
	if cfg.RopeInterleaved {
		s += ", adjacent pairs (GGUF llama layout)"
	}
	if cfg.PartialRotary != 1 {
		s += fmt.Sprintf(", rotary dim %d of %d", cfg.RotaryDim(), cfg.HeadDim)
	}
	if cfg.SlidingWindow > 0 {
		s += fmt.Sprintf(", sliding window %d", cfg.SlidingWindow)
	}
	return s
}

// infoCount writes n with a K/M/B suffix.
func infoCount(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

// infoBytes writes n bytes in binary units.
func infoBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffix := float64(n)/unit, "KiB"
	for _, s := range []string{"MiB", "GiB", "TiB"} {
		if v < unit {
			break
		}
		v, suffix = v/unit, s
	}
	return fmt.Sprintf("%.1f %s", v, suffix)
}
