// Command gollm runs decoder-only Transformer checkpoints on the CPU, with
// exact, tiled (Flash) or HyperAttention attention chosen per layer.
//
// Each subcommand lives in its own file and registers itself on rootCmd.
package main

import (
	"strings"

	"errors"
	"fmt"
	"github.com/gollm/gollm/internal/kernels"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

var rootCmd = &cobra.Command{
	Use:           "gollm",
	Short:         "Run and evaluate HF decoder-only models on the CPU, with HyperAttention",
	SilenceUsage:  true,
	SilenceErrors: true,
}

// cpuProfile is the --cpuprofile flag: a pprof CPU profile of the whole
// command, for finding where time goes.
var cpuProfile string

// backend is the --backend flag: the kernel set to use instead of the best
// this CPU runs (to compare them on one machine).
var backend string

func init() {
	rootCmd.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile (pprof) of the command to this file")
	rootCmd.PersistentFlags().StringVar(&backend, "backend", "", "kernel set to use instead of the best for this CPU: one of "+strings.Join(kernels.Backends(), ", "))
	rootCmd.PersistentPreRunE = func(*cobra.Command, []string) error {
		if backend != "" {
			if _, err := kernels.SetBackend(backend); err != nil {
				return fmt.Errorf("--backend: %w", err)
			}
		}
		if cpuProfile == "" {
			return nil
		}
		// Written directly, not through internal/atomicfile: the profile
		// streams for the whole run and is only a diagnostic, so a cut-off
		// one is better than none (pprof reads what is there).
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		return pprof.StartCPUProfile(f)
	}
}

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the CLI with args and returns the process exit code. Errors
// are printed as one line on stderr.
func run(args []string) int {
	rootCmd.SetArgs(args)
	err := rootCmd.Execute()
	pprof.StopCPUProfile()
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errInterrupted):
		code, word := stopStatus()
		fmt.Fprintln(os.Stderr, "gollm:", word)
		return code
	}
	fmt.Fprintln(os.Stderr, "gollm:", err)
	return 1
}

// errInterrupted is returned by a command stopped by a stop signal (Ctrl-C
// or SIGTERM, stopContext) after it has written what it had; the process
// exits with stopStatus: 130 for SIGINT, 143 for SIGTERM.
var errInterrupted = errors.New("interrupted")
