package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gollm/gollm/convert"
	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/tokenizer"
	"github.com/spf13/cobra"
)

// quantizeOpts are the flags of `gollm quantize`.
type quantizeOpts struct {
	model, typ, out string
	threads         int
	force           bool
}

func init() {
	var o quantizeOpts
	cmd := &cobra.Command{
		Use:   "quantize --model DIR --type Q8_0|Q4_K_M|Q6_K --out FILE.gguf",
		Short: "Write an HF safetensors model as a quantized GGUF file that llama.cpp runs",
		Long: "Write the model of an HF folder as a GGUF v3 file: its metadata, its tokenizer and\n" +
			"every weight matrix quantized as llama-quantize mixes the type (Q4_K_M: Q6_K for the\n" +
			"head and some attn_v and ffn_down layers), norms and biases as F32.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runQuantize(cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.model, "model", "", "HF model folder (config.json, *.safetensors, tokenizer.json or tokenizer.model)")
	f.StringVar(&o.typ, "type", "", "quantization: Q8_0, Q4_K_M or Q6_K")
	f.StringVar(&o.out, "out", "", "GGUF file to write")
	f.BoolVar(&o.force, "force", false, "replace an existing --out file")
	addThreads(f, &o.threads)
	for _, name := range []string{"model", "type", "out"} {
		_ = cmd.MarkFlagRequired(name)
	}
	rootCmd.AddCommand(cmd)
}

// runQuantize writes the file and names its tensor types on w.
func runQuantize(w io.Writer, o quantizeOpts) error {
	ft, err := convert.ParseFileType(o.typ)
	if err != nil {
		return err
	}
	if err := setThreads(o.threads); err != nil {
		return err
	}
	if st, err := os.Stat(o.out); err == nil && (st.IsDir() || !o.force) {
		return fmt.Errorf("%s already exists; pass --force to replace it", o.out)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	c, err := loader.Open(o.model)
	if err != nil {
		return err
	}
	defer c.Close()
	if c.GGUF != nil {
		return fmt.Errorf("%s is already a GGUF file: quantize reads HF safetensors folders", o.model)
	}
	vocab, err := tokenizer.GGUFVocabFromDir(o.model, c.Config.VocabSize)
	if err != nil {
		return err
	}
	bar := newProgress(stderrIsTerminal(), "quantizing to "+ft.String())
	ctx, stop := stopContext(context.Background())
	defer stop()
	counts, err := convert.Quantize(c, o.out, convert.Options{Type: ft, Name: filepath.Base(filepath.Clean(o.model)), Vocab: vocab, Progress: bar.update, Context: ctx})
	bar.done()
	if errors.Is(err, context.Canceled) {
		_, word := stopStatus()
		fmt.Fprintf(os.Stderr, "quantize: %s: %s not written\n", word, o.out)
		return errInterrupted
	}
	if err != nil {
		return err
	}
	var types []string
	for t, n := range counts {
		types = append(types, fmt.Sprintf("%d %v", n, t))
	}
	slices.Sort(types)
	_, err = fmt.Fprintf(w, "wrote %s (%v): %s tensors\n", o.out, ft, strings.Join(types, ", "))
	return err
}
