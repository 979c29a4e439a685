package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gollm/gollm/llama2c"
	"github.com/spf13/cobra"
)

// convertOpts are the flags of `gollm convert`.
type convertOpts struct {
	llama2c   string
	tokenizer string
	out       string
	force     bool
	asJSON    bool
}

func init() {
	var o convertOpts
	cmd := &cobra.Command{
		Use:   "convert --llama2c MODEL.bin --tokenizer TOK.bin --out DIR",
		Short: "Convert a llama2.c checkpoint and tokenizer into an HF Llama model folder",
		Long: "Convert a llama2.c model file (legacy, version 1 float32 or version 2 Q8_0) and its\n" +
			"tokenizer .bin into an HF Llama folder: config.json, model.safetensors (F32),\n" +
			"tokenizer.json, tokenizer_config.json and generation_config.json.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConvert(cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.llama2c, "llama2c", "", "llama2.c model file (.bin)")
	f.StringVar(&o.tokenizer, "tokenizer", "", "llama2.c tokenizer file (.bin, e.g. tokenizer.bin or tok512.bin)")
	f.StringVar(&o.out, "out", "", "output folder (created if needed)")
	f.BoolVar(&o.force, "force", false, "replace the files of an existing model folder")
	f.BoolVar(&o.asJSON, "json", false, "print one JSON line describing the converted model")
	for _, name := range []string{"llama2c", "tokenizer", "out"} {
		_ = cmd.MarkFlagRequired(name)
	}
	rootCmd.AddCommand(cmd)
}

// convertReport is the JSON form of `gollm convert`'s result.
type convertReport struct {
	Out              string `json:"out"`
	Version          int    `json:"llama2c_version"`
	Layers           int    `json:"layers"`
	Dim              int    `json:"hidden_size"`
	Heads            int    `json:"heads"`
	KVHeads          int    `json:"kv_heads"`
	VocabSize        int    `json:"vocab_size"`
	SeqLen           int    `json:"context_length"`
	SharedClassifier bool   `json:"tied_embeddings"`
}

// runConvert reads the llama2.c files, writes the HF folder and describes
// it on w.
func runConvert(w io.Writer, o convertOpts) error {
	if _, err := os.Stat(filepath.Join(o.out, "config.json")); err == nil && !o.force {
		return fmt.Errorf("%s already holds a model (config.json); pass --force to replace it", o.out)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	c, err := llama2c.ReadFile(o.llama2c)
	if err != nil {
		return err
	}
	v, err := llama2c.ReadVocabFile(o.tokenizer)
	if err != nil {
		return err
	}
	ctx, stop := stopContext(context.Background())
	defer stop()
	if err := llama2c.WriteHF(ctx, o.out, c, v); errors.Is(err, context.Canceled) {
		_, word := stopStatus()
		fmt.Fprintf(os.Stderr, "convert: %s: %s not written\n", word, o.out)
		return errInterrupted
	} else if err != nil {
		return err
	}
	cfg := c.Config
	r := convertReport{Out: o.out, Version: cfg.Version, Layers: cfg.Layers, Dim: cfg.Dim, Heads: cfg.Heads,
		KVHeads: cfg.KVHeads, VocabSize: cfg.VocabSize, SeqLen: cfg.SeqLen, SharedClassifier: cfg.SharedClassifier}
	if o.asJSON {
		return json.NewEncoder(w).Encode(r)
	}
	_, err = fmt.Fprintf(w, "wrote %s: llama, %d layers, hidden %d, %d heads / %d KV heads, vocab %d, context %d, tied embeddings %v (from llama2.c version %d)\n",
		r.Out, r.Layers, r.Dim, r.Heads, r.KVHeads, r.VocabSize, r.SeqLen, r.SharedClassifier, r.Version)
	return err
}
