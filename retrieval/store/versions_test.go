package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nyisverige/lots/retrieval/store"
	"github.com/nyisverige/lots/retrieval/store/storetest"
)

// versionsFixture is a store with one vetted source, two pages and a live version (test-3) of
// one chunk each.
func versionsFixture(t *testing.T) (*store.Store, store.Index) {
	t.Helper()
	ctx := context.Background()
	st := storetest.New(t)
	ix, err := st.EnsureLiveIndex(ctx, "test-3", 3)
	if err != nil {
		t.Fatal(err)
	}
	src := addSource(t, st, "vetted", store.StatusVetted)
	var pages []store.BulkPage
	for i, text := range []string{"Så får du ett personnummer hos Skatteverket. Ta med ditt pass.", "Barnbidrag betalas ut varje månad."} {
		url := "http://x/sv/" + string(rune('1'+i))
		pages = append(pages, store.BulkPage{
			Page: store.Page{SourceID: src, URL: url, Title: "T" + url, Language: "sv", TranslationGroup: "g" + url,
				ContentType: "text/html", FetchedAt: time.Now(), Sections: []byte(`[{"Headings":["H"],"Text":"` + text + `"}]`)},
			Agency: "Agency",
			Chunks: []store.Chunk{{Ord: 0, Headings: []string{"H"}, Text: text, Embedding: []float32{1, float32(i), 0}}},
		})
	}
	if err := st.LoadPages(ctx, ix, pages); err != nil {
		t.Fatal(err)
	}
	return st, ix
}

// buildCopy builds a new version of test-3 whose chunks are the pages' sections cut in two.
func buildCopy(t *testing.T, st *store.Store) store.Index {
	t.Helper()
	ctx := context.Background()
	b, err := st.BeginBuild(ctx, store.NewIndex{Embedder: "test-3", Dimensions: 3, Chunking: store.Chunking{Words: 5}, Note: "halves", CreatedBy: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := st.PagesAfter(ctx, 0, time.Time{}, 10)
	if err != nil || len(pages) != 2 {
		t.Fatalf("PagesAfter = %d pages, %v; want 2", len(pages), err)
	}
	chunks := make([][]store.Chunk, len(pages))
	for i, p := range pages {
		var sections []struct{ Text string }
		if err := json.Unmarshal(p.Sections, &sections); err != nil || len(sections) != 1 {
			t.Fatalf("sections of %s: %s, %v", p.URL, p.Sections, err)
		}
		for j, part := range strings.SplitAfter(sections[0].Text, ". ") {
			chunks[i] = append(chunks[i], store.Chunk{Ord: j, Headings: []string{"H"}, Text: part, Embedding: []float32{1, float32(i), 1}})
		}
	}
	if err := st.ReplaceChunks(ctx, b.Index(), pages, chunks); err != nil {
		t.Fatal(err)
	}
	ix, err := b.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestBuildPublishRollback(t *testing.T) {
	ctx := context.Background()
	st, first := versionsFixture(t)
	second := buildCopy(t, st)
	if second.State != store.IndexReady || second.Chunking.Words != 5 {
		t.Fatalf("built version = %+v, want ready with its chunking", second)
	}
	if live, err := st.LiveIndex(ctx); err != nil || live.ID != first.ID {
		t.Fatalf("live after a build = %+v, %v; want the first version still", live, err)
	}
	v, err := st.IndexVersion(ctx, second.ID)
	if err != nil || v.Chunks != 3 || v.Note != "halves" || v.CreatedBy != "ada" || v.BuiltAt.IsZero() {
		t.Fatalf("IndexVersion = %+v, %v; want 3 chunks, the note, the author and a build time", v, err)
	}

	tests := []struct {
		name string
		id   int
		opts store.PublishOptions
		want error
	}{
		{"the live version changed since the comparison", second.ID, store.PublishOptions{ExpectLive: 99, Actor: "ada"}, store.ErrLiveChanged},
		{"the live version itself", first.ID, store.PublishOptions{ExpectLive: first.ID, Actor: "ada"}, store.ErrNotPublishable},
		{"an unknown version", 99, store.PublishOptions{ExpectLive: first.ID, Actor: "ada"}, store.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := st.Publish(ctx, tc.id, tc.opts); !errors.Is(err, tc.want) {
				t.Fatalf("Publish = %v, want %v", err, tc.want)
			}
		})
	}
	if err := st.Publish(ctx, second.ID, store.PublishOptions{ExpectLive: first.ID}); err == nil {
		t.Fatal("Publish without an actor succeeded")
	}

	if err := st.Publish(ctx, second.ID, store.PublishOptions{ExpectLive: first.ID, Actor: "ada", Override: "urgent fix"}); err != nil {
		t.Fatal(err)
	}
	states := func() map[int]string {
		vs, err := st.IndexVersions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[int]string{}
		for _, v := range vs {
			out[v.ID] = v.State
		}
		return out
	}
	if s := states(); s[first.ID] != store.IndexRetired || s[second.ID] != store.IndexLive {
		t.Fatalf("after publishing: %v", s)
	}
	v, _ = st.IndexVersion(ctx, second.ID)
	if v.PublishedBy != "ada" || v.OverrideReason != "urgent fix" || v.PublishedAt.IsZero() {
		t.Fatalf("published version = %+v, want who and why recorded", v)
	}
	var audited int
	if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'index.publish' AND actor = 'ada'
		AND detail->>'override' = 'urgent fix'`).Scan(&audited); err != nil || audited != 1 {
		t.Fatalf("audit log has %d publish entries (%v), want 1", audited, err)
	}

	from, to, err := st.Rollback(ctx, "bob")
	if err != nil || from.ID != second.ID || to.ID != first.ID {
		t.Fatalf("Rollback = %d → %d, %v; want %d → %d", from.ID, to.ID, err, second.ID, first.ID)
	}
	if s := states(); s[first.ID] != store.IndexLive || s[second.ID] != store.IndexReady {
		t.Fatalf("after the rollback: %v", s)
	}
	if _, _, err := st.Rollback(ctx, "bob"); !errors.Is(err, store.ErrNoRollback) {
		t.Fatalf("second Rollback = %v, want ErrNoRollback", err)
	}
	if err := st.DropIndex(ctx, first.ID, "bob"); !errors.Is(err, store.ErrInUse) {
		t.Fatalf("dropping the live version = %v, want ErrInUse", err)
	}
}

func TestDropRetiredKeepsTheNewest(t *testing.T) {
	ctx := context.Background()
	st, first := versionsFixture(t)
	live := first.ID
	var built []int
	for range 3 {
		ix := buildCopy(t, st)
		built = append(built, ix.ID)
		if err := st.Publish(ctx, ix.ID, store.PublishOptions{ExpectLive: live, Actor: "ada"}); err != nil {
			t.Fatal(err)
		}
		live = ix.ID
	}
	dropped, err := st.DropRetired(ctx, 1, "ada")
	if err != nil {
		t.Fatal(err)
	}
	if len(dropped) != 2 || dropped[0] != built[0] || dropped[1] != first.ID {
		t.Fatalf("dropped %v, want the two oldest retired versions [%d %d]", dropped, built[0], first.ID)
	}
	var chunks int
	var hnsw bool
	err = st.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM chunks WHERE index_id = ANY($1)),
		EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = ANY($2))`,
		dropped, []string{fmt.Sprint("chunks_hnsw_", dropped[0]), fmt.Sprint("chunks_hnsw_", dropped[1])}).Scan(&chunks, &hnsw)
	if err != nil || chunks != 0 || hnsw {
		t.Fatalf("dropped versions keep %d chunks, HNSW index %v (%v)", chunks, hnsw, err)
	}
	if _, to, err := st.Rollback(ctx, "ada"); err != nil || to.ID != built[1] {
		t.Fatalf("Rollback = %d, %v; want the kept version %d", to.ID, err, built[1])
	}
}

func TestOneBuildAtATime(t *testing.T) {
	ctx := context.Background()
	st, _ := versionsFixture(t)
	b, err := st.BeginBuild(ctx, store.NewIndex{Embedder: "test-3", Dimensions: 3, CreatedBy: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.BeginBuild(ctx, store.NewIndex{Embedder: "test-3", Dimensions: 3, CreatedBy: "bob"}); !errors.Is(err, store.ErrBuildRunning) {
		t.Fatalf("a second build = %v, want ErrBuildRunning", err)
	}
	if err := st.Publish(ctx, b.Index().ID, store.PublishOptions{ExpectLive: 1, Actor: "ada"}); !errors.Is(err, store.ErrNotPublishable) {
		t.Fatalf("publishing a version being built = %v, want ErrNotPublishable", err)
	}
	// The process building dies: its lock goes with it, and the next build fails the orphan.
	b.Close()
	next, err := st.BeginBuild(ctx, store.NewIndex{Embedder: "test-3", Dimensions: 3, CreatedBy: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	orphan, err := st.IndexVersion(ctx, b.Index().ID)
	if err != nil || orphan.State != store.IndexFailed || !strings.Contains(orphan.Error, "interrupted") {
		t.Fatalf("abandoned build = %+v, %v; want failed as interrupted", orphan, err)
	}
	if err := next.Fail(ctx, errors.New("embedder unreachable")); err != nil {
		t.Fatal(err)
	}
	failed, _ := st.IndexVersion(ctx, next.Index().ID)
	if failed.State != store.IndexFailed || failed.Error != "embedder unreachable" {
		t.Fatalf("failed build = %+v", failed)
	}
}

func TestRules(t *testing.T) {
	ctx := context.Background()
	st, ix := versionsFixture(t)
	valid := store.Rule{Language: "sv", Question: "Hur får jag ett personnummer?", URL: "http://x/sv/1",
		Action: store.RulePin, Note: "the official page", CreatedBy: "ada"}
	invalid := []struct {
		name   string
		change func(*store.Rule)
	}{
		{"no note", func(r *store.Rule) { r.Note = " " }},
		{"no question", func(r *store.Rule) { r.Question = "" }},
		{"no page", func(r *store.Rule) { r.URL = "" }},
		{"unknown action", func(r *store.Rule) { r.Action = "boost" }},
		{"no author", func(r *store.Rule) { r.CreatedBy = "" }},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			r := valid
			tc.change(&r)
			if _, err := st.AddRule(ctx, r); !errors.Is(err, store.ErrInvalidRule) {
				t.Fatalf("AddRule = %v, want ErrInvalidRule", err)
			}
		})
	}
	pin, err := st.AddRule(ctx, valid)
	if err != nil {
		t.Fatal(err)
	}
	heading := valid
	heading.Heading, heading.Passage, heading.Action = "H", "Barnbidrag betalas ut", store.RuleSuppress
	heading.URL = "http://x/sv/2"
	suppress, err := st.AddRule(ctx, heading)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := st.Rules(ctx, "sv")
	if err != nil || len(rules) != 2 || rules[0].ID != pin.ID || rules[1].Heading != "H" {
		t.Fatalf("Rules(sv) = %+v, %v", rules, err)
	}
	if rules, _ := st.Rules(ctx, "en"); len(rules) != 0 {
		t.Fatalf("Rules(en) = %+v, want none", rules)
	}

	// A rule names its passage by page, heading and text: it finds it in every version, however
	// the page was chunked.
	second := buildCopy(t, st)
	passage := valid
	passage.Passage = "Ta med ditt pass"
	passageRule, err := st.AddRule(ctx, passage)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []store.Index{ix, second} {
		hits, err := st.RulePassages(ctx, v, []float32{1, 0, 0}, []store.Rule{passageRule, pin, suppress})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range hits {
			got = append(got, h.URL+" "+h.Text)
			if h.RuleID == passageRule.ID && !strings.Contains(h.Text, "pass") {
				t.Errorf("version %d: the rule with passage text matched %q", v.ID, h.Text)
			}
		}
		if len(hits) == 0 || hits[0].RuleID != passageRule.ID || hits[len(hits)-1].RuleID != suppress.ID {
			t.Errorf("version %d: RulePassages = %q, want the rules' passages in the rules' order", v.ID, got)
		}
	}

	if err := st.DeleteRule(ctx, pin.ID, "bob"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteRule(ctx, pin.ID, "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleting a deleted rule = %v, want ErrNotFound", err)
	}
	var actions []string
	rows, _ := st.Pool().Query(ctx, "SELECT action FROM audit_log WHERE subject_type = 'passage_rule' ORDER BY id")
	for rows.Next() {
		var a string
		rows.Scan(&a)
		actions = append(actions, a)
	}
	if strings.Join(actions, ",") != "rule.add,rule.add,rule.add,rule.delete" {
		t.Fatalf("audit log: %v", actions)
	}
}

// A build stores chunks while pages are deleted under it: it skips them instead of failing.
func TestBuildSkipsDeletedPages(t *testing.T) {
	ctx := context.Background()
	st, _ := versionsFixture(t)
	b, err := st.BeginBuild(ctx, store.NewIndex{Embedder: "test-3", Dimensions: 3, CreatedBy: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pages, err := st.PagesAfter(ctx, 0, time.Time{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool().Exec(ctx, "DELETE FROM pages WHERE id = $1", pages[0].ID); err != nil {
		t.Fatal(err)
	}
	chunks := [][]store.Chunk{{{Headings: []string{}, Text: "a", Embedding: []float32{1, 0, 0}}}, {{Headings: []string{}, Text: "b", Embedding: []float32{0, 1, 0}}}}
	if err := st.ReplaceChunks(ctx, b.Index(), pages, chunks); err != nil {
		t.Fatalf("ReplaceChunks with a deleted page: %v", err)
	}
	ix, err := b.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := st.IndexVersion(ctx, ix.ID)
	if v.Chunks != 1 {
		t.Fatalf("built %d chunks, want the surviving page's 1", v.Chunks)
	}
}
