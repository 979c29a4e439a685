package main

import (
	"fmt"
	"path/filepath"
	"sync"

	"github.com/gollm/gollm/eval"
	"github.com/gollm/gollm/internal/parallel"
	"github.com/gollm/gollm/tokenizer"
)

// dataset is every document of a perplexity run, tokenized once.
type dataset struct {
	sources      []string
	docs         []eval.Document
	ids          [][]int
	tokens       int
	skippedLines int    // bad JSONL lines skipped with --skip-bad
	firstSkip    string // why the first was skipped
}

// loadDatasets reads every --file and --data path.
func loadDatasets(pf *pplFlags) (*dataset, error) {
	paths := append(append([]string{}, pf.files...), pf.data...)
	if len(paths) == 0 {
		return nil, fmt.Errorf("perplexity: give a text with --file or --data (a text file, a folder or a .jsonl)")
	}
	ds := &dataset{}
	for _, p := range paths {
		got, err := eval.Load(p, eval.LoadOptions{Field: pf.field, SkipBad: pf.skipBad})
		if err != nil {
			return nil, fmt.Errorf("perplexity: %w", err)
		}
		if len(got.Docs) == 0 {
			return nil, fmt.Errorf("perplexity: %s holds no documents", p)
		}
		ds.sources = append(ds.sources, filepath.Base(p))
		ds.docs = append(ds.docs, got.Docs...)
		if got.Skipped > 0 && ds.skippedLines == 0 {
			ds.firstSkip = got.FirstSkip
		}
		ds.skippedLines += got.Skipped
	}
	return ds, nil
}

// tokenize encodes every document, several at a time, and drops the texts.
func (ds *dataset) tokenize(tok tokenizer.Tokenizer) {
	ds.ids = make([][]int, len(ds.docs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range max(1, parallel.Threads()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				ds.ids[i] = tok.Encode(ds.docs[i].Text)
			}
		}()
	}
	for i := range ds.docs {
		next <- i
	}
	close(next)
	wg.Wait()
	for i := range ds.docs {
		ds.docs[i].Text = ""
		ds.tokens += len(ds.ids[i])
	}
}

func (ds *dataset) lengths() []int {
	n := make([]int, len(ds.ids))
	for i, ids := range ds.ids {
		n[i] = len(ids)
	}
	return n
}

// tooShort explains why no span fits any document.
func (ds *dataset) tooShort(p eval.Protocol) string {
	longest := 0
	for _, ids := range ds.ids {
		longest = max(longest, len(ids))
	}
	need := p.Ctx
	if p.Stride > 0 {
		need = 2
	}
	return fmt.Sprintf("%s under the %s protocol needs documents of at least %d tokens; the longest of the %d has %d",
		joinSources(ds.sources), p.Name, need, len(ds.ids), longest)
}

func joinSources(s []string) string {
	if len(s) == 1 {
		return s[0]
	}
	return fmt.Sprintf("%s and %d more", s[0], len(s)-1)
}
