package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/gollm/gollm/internal/readlimit"
	"github.com/gollm/gollm/loader"
	"github.com/gollm/gollm/tokenizer"
	"github.com/spf13/cobra"
)

var tokenizeFlags struct {
	model, tokenizer, encoding, file string
	json, decode                     bool
}

var tokenizeCmd = &cobra.Command{
	Use:   "tokenize (--model DIR | --tokenizer PATH | --encoding NAME) [--file F | -- TEXT] [--json] [--decode]",
	Short: "Print the token ids of a text, or with --decode the text of ids",
	Long: `Print the token ids of a text on stdout, space-separated (--json: {"ids": [...]}).
For a tokenizer.json the ids are what HF tokenizer.encode(text) returns, BOS from its
post-processor included; for --encoding they are tiktoken's encode_ordinary.
The text comes from --file, from the arguments after --, or else from stdin.
With --decode the input is ids (space-separated, a JSON list or {"ids": [...]}) and the
decoded text is printed as is (--json: {"text": "..."}).`,
	RunE: runTokenize,
}

func init() {
	f := tokenizeCmd.Flags()
	f.StringVar(&tokenizeFlags.model, "model", "", "model folder: its tokenizer.json, else tokenizer.model")
	f.StringVar(&tokenizeFlags.tokenizer, "tokenizer", "", "tokenizer.json or tokenizer.model file, or a folder holding one")
	f.StringVar(&tokenizeFlags.encoding, "encoding", "", "tiktoken encoding: "+strings.Join(tokenizer.Encodings(), ", "))
	f.StringVar(&tokenizeFlags.file, "file", "", "read the text (or ids) from this file")
	f.BoolVar(&tokenizeFlags.json, "json", false, "print one JSON object on one line")
	f.BoolVar(&tokenizeFlags.decode, "decode", false, "read ids and print their text")
	rootCmd.AddCommand(tokenizeCmd)
}

func runTokenize(cmd *cobra.Command, args []string) error {
	tok, err := pickTokenizer()
	if err != nil {
		return err
	}
	input, err := tokenizeInput(cmd, args)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(cmd.OutOrStdout())
	defer out.Flush()
	if tokenizeFlags.decode {
		ids, err := parseIDs(input)
		if err != nil {
			return err
		}
		if err := tokenizer.CheckIDs(tok, ids); err != nil {
			return fmt.Errorf("tokenize: --decode: %w", err)
		}
		text := tok.Decode(ids)
		if tokenizeFlags.json {
			return json.NewEncoder(out).Encode(map[string]string{"text": text})
		}
		_, err = out.WriteString(text)
		return err
	}
	ids := tok.Encode(input)
	if tokenizeFlags.json {
		return json.NewEncoder(out).Encode(map[string][]int{"ids": ids})
	}
	for i, id := range ids {
		if i > 0 {
			out.WriteByte(' ')
		}
		out.WriteString(strconv.Itoa(id))
	}
	_, err = out.WriteString("\n")
	return err
}

// pickTokenizer loads the one tokenizer the flags name.
func pickTokenizer() (tokenizer.Tokenizer, error) {
	f := tokenizeFlags
	set := 0
	for _, s := range []string{f.model, f.tokenizer, f.encoding} {
		if s != "" {
			set++
		}
	}
	if set != 1 {
		return nil, errors.New("tokenize: give exactly one of --model, --tokenizer, --encoding")
	}
	switch {
	case f.encoding != "":
		return tokenizer.ForEncoding(f.encoding)
	case f.model != "":
		st, err := os.Stat(f.model)
		if err != nil {
			return nil, fmt.Errorf("tokenize: --model: %w", err)
		}
		if !st.IsDir() {
			return ggufTokenizerOf(f.model)
		}
		return tokenizer.Load(f.model)
	default:
		return tokenizer.Load(f.tokenizer)
	}
}

// tokenizeInput returns the text from --file, the arguments, or stdin.
func tokenizeInput(cmd *cobra.Command, args []string) (string, error) {
	if tokenizeFlags.file != "" {
		if len(args) > 0 {
			return "", errors.New("tokenize: give --file or a text, not both")
		}
		data, err := readlimit.ReadFile(tokenizeFlags.file, readlimit.Text)
		if err != nil {
			return "", fmt.Errorf("tokenize: %w", err)
		}
		return string(data), nil
	}
	if len(args) > 0 {
		return strings.Join(args, " "), nil
	}
	data, err := readlimit.ReadAll(cmd.InOrStdin(), readlimit.Text, "stdin")
	if err != nil {
		return "", fmt.Errorf("tokenize: stdin: %w", err)
	}
	return string(data), nil
}

// parseIDs reads ids given as whitespace-separated numbers, a JSON list or
// a JSON object {"ids": [...]}.
func parseIDs(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[") {
		var obj struct {
			IDs []int `json:"ids"`
		}
		var err error
		if s[0] == '{' {
			err = json.Unmarshal([]byte(s), &obj)
		} else {
			err = json.Unmarshal([]byte(s), &obj.IDs)
		}
		if err != nil {
			return nil, fmt.Errorf("tokenize: --decode: ids: %w", err)
		}
		return obj.IDs, nil
	}
	var ids []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r' }) {
		id, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("tokenize: --decode: %q is not an id", f)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// ggufTokenizerOf is the tokenizer of the GGUF file at path.
func ggufTokenizerOf(path string) (tokenizer.Tokenizer, error) {
	c, err := loader.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokenize: --model: %w", err)
	}
	defer c.Close()
	return ggufTokenizer(c)
}
