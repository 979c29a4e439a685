package main

import "github.com/spf13/cobra"

// benchCmd groups the benchmarks; each benchmark adds itself as a subcommand.
var benchCmd = &cobra.Command{
	Use:   "bench",
	Short: "Benchmarks: matmul, attention, model",
}

func init() { rootCmd.AddCommand(benchCmd) }
