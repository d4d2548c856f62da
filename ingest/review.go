package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nyisverige/lots/ingest/extract"
	"github.com/nyisverige/lots/retrieval/store"
)

// ChangeFilter selects page changes; zero fields select everything.
type ChangeFilter struct {
	Source string // source name
	RunID  int64
	State  string // store.ReviewLive, ReviewPending, ReviewApproved, ReviewRejected
	Kind   string // store.ChangeNew, ChangeChanged, ChangeGone
	Limit  int    // default 200
}

// ChangeDiff is one page change with the differences between its old and new text.
type ChangeDiff struct {
	store.PageChange
	Diff []DiffOp
}

// change is the change a fetched page makes to the live one, or nil when its title and text are
// what they were (only the markup or the metadata moved).
func (cr *crawl) change(prior store.PageState, page store.Page, doc *extract.Document) *store.PageChange {
	ch := &store.PageChange{RunID: cr.run.ID, SourceID: cr.src.ID, URL: page.URL, Kind: store.ChangeNew, Title: page.Title,
		Language: page.Language, NewText: pageText(doc.Title, doc.Sections), ContentHash: page.ContentHash}
	if prior.ID != 0 {
		ch.OldText = storedText(prior.Title, prior.Sections)
		if ch.OldText == ch.NewText {
			return nil
		}
		ch.Kind, ch.PageID = store.ChangeChanged, prior.ID
	}
	return ch
}

// pageText is a page's text as change review shows it: the title, then each section under its
// heading, marked by its depth as in Markdown.
func pageText(title string, sections []extract.Section) string {
	var b strings.Builder
	b.WriteString("# " + title)
	var last []string
	for _, s := range sections {
		if len(s.Headings) > 0 && !slices.Equal(s.Headings, last) && s.Headings[len(s.Headings)-1] != title {
			fmt.Fprintf(&b, "\n\n%s %s", strings.Repeat("#", min(len(s.Headings)+1, 6)), s.Headings[len(s.Headings)-1])
		}
		last = s.Headings
		if t := strings.TrimSpace(s.Text); t != "" {
			b.WriteString("\n\n" + t)
		}
	}
	return b.String()
}

func storedText(title string, sections json.RawMessage) string {
	var secs []extract.Section
	if len(sections) > 0 {
		_ = json.Unmarshal(sections, &secs) // an unreadable old version diffs as empty
	}
	return pageText(title, secs)
}

// Changes lists page changes, newest first, without their texts.
func (m *Manager) Changes(ctx context.Context, f ChangeFilter) ([]store.PageChange, error) {
	sf := store.ChangeFilter{RunID: f.RunID, State: f.State, Kind: f.Kind, Limit: f.Limit}
	if f.Source != "" {
		src, err := m.store.SourceByName(ctx, f.Source)
		if err != nil {
			return nil, err
		}
		sf.SourceID = src.ID
	}
	return m.store.Changes(ctx, sf)
}

// Change returns one page change with its texts and their diff.
func (m *Manager) Change(ctx context.Context, id int64) (ChangeDiff, error) {
	ch, err := m.store.Change(ctx, id)
	if err != nil {
		return ChangeDiff{}, err
	}
	return ChangeDiff{PageChange: ch, Diff: Diff(ch.OldText, ch.NewText)}, nil
}

// Approve applies a pending change: a new or changed page is embedded and saved as the live page,
// a gone page leaves the index.
func (m *Manager) Approve(ctx context.Context, id int64, by string) error {
	ch, err := m.store.Change(ctx, id)
	if err != nil {
		return err
	}
	if ch.State != store.ReviewPending {
		return fmt.Errorf("approve change %d (%s): %w", id, ch.State, store.ErrNotPending)
	}
	src, err := m.store.SourceByName(ctx, ch.Source)
	if err != nil {
		return fmt.Errorf("approve change %d: %w", id, err)
	}
	if src.Status == store.StatusRetired {
		return fmt.Errorf("approve change %d: source %s is retired", id, src.Name)
	}
	if ch.Kind == store.ChangeGone {
		return m.store.ApproveChange(ctx, id, by, nil, store.Index{}, src.Agency, nil)
	}
	if ch.Held == nil {
		return fmt.Errorf("approve change %d: no page is held", id)
	}
	var sections []extract.Section
	if err := json.Unmarshal(ch.Held.Sections, &sections); err != nil {
		return fmt.Errorf("approve change %d: held sections: %w", id, err)
	}
	ix, err := m.crawler.liveIndex(ctx)
	if err != nil {
		return fmt.Errorf("approve change %d: %w", id, err)
	}
	e, err := m.crawler.embedderFor(ctx, ix)
	if err != nil {
		return fmt.Errorf("approve change %d: %w", id, err)
	}
	chunks, err := chunkPage(ctx, e, m.crawler.chunking(ix), ch.Held.Title, sections)
	if err != nil {
		return fmt.Errorf("approve change %d: %w", id, err)
	}
	return m.store.ApproveChange(ctx, id, by, ch.Held, ix, src.Agency, chunks)
}

// Reject keeps the live page as it is; the crawler does not offer the rejected version again.
func (m *Manager) Reject(ctx context.Context, id int64, by, note string) error {
	return m.store.RejectChange(ctx, id, by, strings.TrimSpace(note))
}

// ErrBadURL means a URL given to the console is not an absolute http(s) URL.
var ErrBadURL = errors.New("not an absolute http or https URL")

// Exclude takes the page at rawURL out of the index and keeps the crawler away from it.
func (m *Manager) Exclude(ctx context.Context, rawURL, note, by string) (store.Exclusion, error) {
	u := normalizeURL(rawURL)
	if u == "" || checkHTTPURL(u) != nil {
		return store.Exclusion{}, fmt.Errorf("exclude %q: %w", rawURL, ErrBadURL)
	}
	return m.store.Exclude(ctx, u, strings.TrimSpace(note), by)
}

// Include lets the crawler fetch an excluded page again at its source's next crawl.
func (m *Manager) Include(ctx context.Context, rawURL string) error {
	u := normalizeURL(rawURL)
	if u == "" {
		return fmt.Errorf("include %q: %w", rawURL, ErrBadURL)
	}
	return m.store.Include(ctx, u)
}

// Exclusions lists the excluded pages of a source ("" for all sources).
func (m *Manager) Exclusions(ctx context.Context, source string) ([]store.Exclusion, error) {
	var id int64
	if source != "" {
		src, err := m.store.SourceByName(ctx, source)
		if err != nil {
			return nil, err
		}
		id = src.ID
	}
	return m.store.Exclusions(ctx, id)
}
