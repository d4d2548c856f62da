package ingest

import (
	"strings"
	"unicode"

	"github.com/tmc/langchaingo/textsplitter"

	"github.com/nyisverige/lots/ingest/extract"
	"github.com/nyisverige/lots/retrieval/store"
)

// Passage is a chunk of a page before it is embedded.
type Passage struct {
	Headings []string
	Text     string
}

// ChunkOptions sets passage sizes in words.
type ChunkOptions struct {
	Words   int // target passage length; default 180
	Overlap int // words repeated between consecutive passages of one section; default 30
}

// Effective is what Chunk makes of the options: defaults filled in, and an overlap that is
// negative or not shorter than a passage turned into none (0).
func (o ChunkOptions) Effective() ChunkOptions {
	if o.Words <= 0 {
		o.Words = 180
	}
	switch {
	case o.Overlap == 0:
		o.Overlap = min(30, o.Words/2)
	case o.Overlap < 0 || o.Overlap >= o.Words:
		o.Overlap = 0
	}
	return o
}

// chunkingOf turns the passage sizes recorded with an index version (already effective, an
// overlap of 0 meaning none) back into options.
func chunkingOf(c store.Chunking) ChunkOptions {
	o := ChunkOptions{Words: c.Words, Overlap: c.Overlap}
	if o.Overlap == 0 {
		o.Overlap = -1
	}
	return o
}

// Chunk splits a document into heading-aware passages: a passage never spans two sections, so
// it keeps its heading path, and long sections are split at paragraph, line, sentence and
// finally word boundaries with some overlap.
func Chunk(doc *extract.Document, opts ChunkOptions) []Passage {
	opts = opts.Effective()
	splitter := textsplitter.NewRecursiveCharacter(
		textsplitter.WithChunkSize(opts.Words),
		textsplitter.WithChunkOverlap(opts.Overlap),
		textsplitter.WithSeparators([]string{"\n\n", "\n", ". ", " "}),
		textsplitter.WithLenFunc(wordCount),
	)
	var out []Passage
	for _, sec := range doc.Sections {
		text := strings.TrimSpace(sec.Text)
		if text == "" {
			continue
		}
		parts := []string{text}
		if wordCount(text) > opts.Words {
			split, err := splitter.SplitText(text)
			if err == nil && len(split) > 0 {
				parts = split
			}
		}
		for _, p := range parts {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, Passage{Headings: sec.Headings, Text: p})
			}
		}
	}
	return out
}

// hasText reports whether any of the sections has text: whether Chunk makes any passage of
// them, without splitting them.
func hasText(sections []extract.Section) bool {
	for _, sec := range sections {
		if strings.TrimSpace(sec.Text) != "" {
			return true
		}
	}
	return false
}

// EmbeddingText is what gets embedded for a passage: the page title and heading path give a
// short passage the context a reader has.
func EmbeddingText(title string, p Passage) string {
	var b strings.Builder
	b.WriteString(title)
	for _, h := range p.Headings {
		if h != title {
			b.WriteString(" — ")
			b.WriteString(h)
		}
	}
	b.WriteString("\n")
	b.WriteString(p.Text)
	return b.String()
}

func wordCount(s string) int {
	return len(strings.FieldsFunc(s, unicode.IsSpace))
}
