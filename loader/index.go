package loader

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

// parseIndex reads model.safetensors.index.json and returns its weight_map
// (tensor name → shard file) and the sorted, distinct shard files. Shard
// names must be local slash-separated paths inside the model folder.
func parseIndex(data []byte) (map[string]string, []string, error) {
	m, err := decodeObject(data)
	if err != nil {
		return nil, nil, err
	}
	raw, ok := m["weight_map"]
	if !ok || string(raw) == "null" {
		return nil, nil, fmt.Errorf("no weight_map")
	}
	var wm map[string]string
	if err := json.Unmarshal(raw, &wm); err != nil {
		return nil, nil, fmt.Errorf("weight_map must map tensor names to file names: %w", err)
	}
	if _, err := decodeObject(raw); err != nil {
		return nil, nil, fmt.Errorf("weight_map: %w", err)
	}
	if len(wm) == 0 {
		return nil, nil, fmt.Errorf("weight_map is empty")
	}
	seen := map[string]bool{}
	var files []string
	for name, file := range wm {
		if !fs.ValidPath(file) || file == "." || strings.Contains(file, `\`) {
			return nil, nil, fmt.Errorf("tensor %q: shard name %q is not a file inside the model folder", name, file)
		}
		if !seen[file] {
			seen[file] = true
			files = append(files, file)
		}
	}
	sort.Strings(files)
	return wm, files, nil
}
