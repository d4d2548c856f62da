package process

import (
	_ "embed"
	"encoding/json"
	"sync"
)

// messages.json holds the field errors a user reads, per language and kind ({min} and {max} are
// the field's bounds). JSON keeps the right-to-left texts and their joiners readable.
//
//go:embed messages.json
var messagesJSON []byte

// fieldMessages is read once from messages.json; a test checks every language has every kind.
var fieldMessages = sync.OnceValue(func() map[string]map[string]string {
	m := map[string]map[string]string{}
	_ = json.Unmarshal(messagesJSON, &m) // embedded at build time; TestFieldMessages reads every text
	return m
})
