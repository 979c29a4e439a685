package server

import (
	"fmt"
	"net/http"

	"github.com/gollm/gollm/chat"
	"github.com/gollm/gollm/tokenizer"
)

// health answers {"status": "ok"} with the slots' load; it needs no key.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	st := s.cfg.Engine.Stats()
	writeJSON(w, 200, map[string]any{"status": "ok", "slots_idle": st.Slots - st.Active, "slots_processing": st.Active,
		"requests_queued": st.Queued, "cached_prefixes": st.CachedPrefixes, "prompt_cache_bytes": st.CacheBytes})
}

// models lists the one model served.
func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]any{"object": "list", "data": []any{map[string]any{
		"id": s.cfg.ModelID, "object": "model", "created": s.created, "owned_by": "gollm",
		"meta": map[string]any{"n_ctx": s.cfg.Context, "n_ctx_train": s.cfg.TrainCtx, "n_vocab": s.cfg.Vocab},
	}}})
}

// tokenize is llama-server's: {"content", "add_special", "with_pieces"} →
// {"tokens": ids, or [{"id", "piece"}] with pieces}.
func (s *Server) tokenize(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Content    *string `json:"content"`
		AddSpecial bool    `json:"add_special"`
		WithPieces bool    `json:"with_pieces"`
	}
	if e := decode(w, r, s.cfg.MaxBody, &req); e != nil {
		writeError(w, e)
		return
	}
	if req.Content == nil {
		writeError(w, badParam("content", "content (the text to tokenize) is missing"))
		return
	}
	tok := s.cfg.Tokenizer
	ids := tok.EncodeText(*req.Content)
	if req.AddSpecial {
		ids = tok.Encode(*req.Content)
	}
	if !req.WithPieces {
		writeJSON(w, 200, map[string]any{"tokens": ids})
		return
	}
	pieces := make([]map[string]any, len(ids))
	for i, id := range ids {
		pieces[i] = map[string]any{"id": id, "piece": tok.Decode([]int{id})}
	}
	writeJSON(w, 200, map[string]any{"tokens": pieces})
}

// detokenize is llama-server's: {"tokens": ids} → {"content": text}.
func (s *Server) detokenize(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Tokens []int `json:"tokens"`
	}
	if e := decode(w, r, s.cfg.MaxBody, &req); e != nil {
		writeError(w, e)
		return
	}
	for _, id := range req.Tokens {
		if id < 0 || id >= s.cfg.Vocab {
			writeError(w, badParam("tokens", fmt.Sprintf("token id %d is not in the vocabulary [0, %d)", id, s.cfg.Vocab)))
			return
		}
	}
	if err := tokenizer.CheckIDs(s.cfg.Tokenizer, req.Tokens); err != nil {
		writeError(w, badParam("tokens", err.Error()))
		return
	}
	writeJSON(w, 200, map[string]any{"content": s.cfg.Tokenizer.Decode(req.Tokens)})
}

// applyTemplate is llama-server's: {"messages": […]} → {"prompt": text},
// the chat template rendered with the generation prompt.
func (s *Server) applyTemplate(w http.ResponseWriter, r *http.Request) {
	var req request
	if e := decode(w, r, s.cfg.MaxBody, &req); e != nil {
		writeError(w, e)
		return
	}
	msgs, err := req.chatMessages()
	if err != nil {
		writeError(w, err.(*apiError))
		return
	}
	text, err := s.cfg.Template.Render(msgs, chat.Options{AddGenerationPrompt: true, Special: s.cfg.Special, Tools: req.Tools})
	if err != nil {
		writeError(w, badParam("messages", err.Error()))
		return
	}
	writeJSON(w, 200, map[string]any{"prompt": text})
}
