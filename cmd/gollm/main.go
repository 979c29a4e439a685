// Command gollm runs decoder-only Transformer checkpoints on the CPU, with
// exact, tiled (Flash) or HyperAttention attention chosen per layer.
//
// Each subcommand lives in its own file and registers itself on rootCmd.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

var rootCmd = &cobra.Command{
	Use:           "gollm",
	Short:         "Run and evaluate HF decoder-only models on the CPU, with HyperAttention",
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the CLI with args and returns the process exit code. Errors
// are printed as one line on stderr.
func run(args []string) int {
	rootCmd.SetArgs(args)
	if err := rootCmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "gollm:", err)
		return 1
	}
	return 0
}
