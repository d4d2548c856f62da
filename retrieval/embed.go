// Package retrieval finds the passages that answer a question: it embeds text, and searches the
// store's vetted chunks by meaning and by words, preferring the asker's language.
package retrieval

import "context"

// Embedder turns texts into vectors of a fixed dimension. Two embedders' vectors are never
// compared: every index version records the Name and Dimensions of the embedder that built it.
type Embedder interface {
	// Name identifies the model, e.g. "local-hash-v1-384" or "openai:text-embedding-3-small".
	Name() string
	// Dimensions is the length of every vector Embed returns.
	Dimensions() int
	// Embed returns one vector per text, in order.
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}
