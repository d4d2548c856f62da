package ingest_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/ingest/jobs"
	"github.com/nyisverige/lots/retrieval/store"
)

// A steward's recrawl runs on a worker, reports its progress, and shows in the source's status.
func TestRecrawlJob(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, m, _, site := newFixture(t)
	q := jobs.NewQueue(st.Pool(), jobs.QueueOptions{})
	site.source(t, st, "testverket")

	due, err := m.DueRecrawls(ctx)
	if err != nil || len(due) != 1 || due[0].Key != "recrawl:testverket" {
		t.Fatalf("due before the first crawl: %+v, %v", due, err)
	}
	id, err := m.Recrawl(ctx, "testverket", "steward")
	if err != nil {
		t.Fatal(err)
	}
	if again, err := m.Recrawl(ctx, "testverket", "steward"); !errors.Is(err, jobs.ErrDuplicate) || again != id {
		t.Errorf("second recrawl: %d, %v; want job %d and ErrDuplicate", again, err, id)
	}
	status, err := m.Status(ctx, "testverket")
	if err != nil || status.Job == nil || status.Job.ID != id || status.Job.State != jobs.StateQueued {
		t.Fatalf("status with a queued recrawl: %+v, %v", status.Job, err)
	}
	if due, _ := m.DueRecrawls(ctx); len(due) != 0 {
		t.Errorf("a queued source is due again: %+v", due)
	}

	var mu sync.Mutex
	var reports []jobs.Progress
	handlers := m.Handlers()
	crawl := handlers[ingest.KindRecrawl]
	handlers[ingest.KindRecrawl] = func(ctx context.Context, j jobs.Job, report func(context.Context, jobs.Progress) error) error {
		return crawl(ctx, j, func(ctx context.Context, p jobs.Progress) error {
			mu.Lock()
			reports = append(reports, p)
			mu.Unlock()
			return report(ctx, p)
		})
	}
	w := jobs.NewWorker(q, handlers, quietLog(), jobs.WorkerOptions{Poll: 10 * time.Millisecond})
	go w.Run(ctx)
	deadline := time.Now().Add(30 * time.Second)
	var j jobs.Job
	for j, _ = q.Get(ctx, id); j.State != jobs.StateDone; j, _ = q.Get(ctx, id) {
		if time.Now().After(deadline) || j.State == jobs.StateFailed {
			t.Fatalf("recrawl job: %+v", j)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if j.Progress.Total < 4 || j.Progress.Done != j.Progress.Total {
		t.Errorf("final progress %+v, want all of at least 4 URLs done", j.Progress)
	}
	mu.Lock()
	if len(reports) < 2 || reports[0].Done >= reports[len(reports)-1].Done {
		t.Errorf("progress reports %+v, want them to grow", reports)
	}
	mu.Unlock()

	status, err = m.Status(ctx, "testverket")
	if err != nil {
		t.Fatal(err)
	}
	if status.Job != nil || status.LastRun.FinishedAt.IsZero() || status.LastRun.Fetched != 4 || status.PagesByLanguage["sv"] != 4 {
		t.Errorf("status after the recrawl: job %+v, last run %+v, pages %v", status.Job, status.LastRun, status.PagesByLanguage)
	}
	if due, _ := m.DueRecrawls(ctx); len(due) != 0 {
		t.Errorf("a source crawled just now is due: %+v", due)
	}
}

func TestSourceManagement(t *testing.T) {
	ctx := context.Background()
	st, m, c, site := newFixture(t)
	good := store.Source{Name: " nyverket ", Agency: "Nyverket", StartURLs: []string{site.url("")}, AllowedPrefixes: []string{site.url("")}, Local: true}

	bad := []struct {
		name string
		edit func(*store.Source)
		want string
	}{
		{"no agency", func(s *store.Source) { s.Agency = "" }, "agency is required"},
		{"start outside prefixes", func(s *store.Source) { s.StartURLs = []string{"https://elsewhere.example/"} }, "outside the allowed prefixes"},
		{"not a URL", func(s *store.Source) { s.AllowedPrefixes = []string{"ftp://x"} }, "absolute http"},
		{"unknown language", func(s *store.Source) { s.Languages = []string{"de"} }, "not supported"},
		{"short interval", func(s *store.Source) { s.RecrawlInterval = time.Minute }, "recrawl_interval"},
		{"retired status", func(s *store.Source) { s.Status = store.StatusRetired }, "status must be"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			src := good
			tt.edit(&src)
			if _, err := m.AddSource(ctx, src, false); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("AddSource: %v, want an error about %q", err, tt.want)
			}
		})
	}
	if srcs, _ := st.Sources(ctx); len(srcs) != 0 {
		t.Fatalf("refused sources were saved: %+v", srcs)
	}

	added, err := m.AddSource(ctx, good, true)
	if err != nil {
		t.Fatal(err)
	}
	if added.Name != "nyverket" || added.Status != store.StatusProposed || added.RecrawlInterval != 7*24*time.Hour || added.Concurrency != 2 {
		t.Errorf("added %+v", added)
	}
	if _, err := m.AddSource(ctx, good, false); !errors.Is(err, ingest.ErrSourceExists) {
		t.Errorf("adding twice: %v, want ErrSourceExists", err)
	}
	if _, err := m.Recrawl(ctx, "nyverket", "steward"); !errors.Is(err, ingest.ErrNotVetted) {
		t.Errorf("recrawl of a proposed source: %v, want ErrNotVetted", err)
	}
	edit := good
	edit.Name, edit.RecrawlInterval = "", 48*time.Hour
	if _, err := m.EditSource(ctx, "nyverket", edit, false); err != nil {
		t.Fatal(err)
	}
	edit.Name = "other"
	if _, err := m.EditSource(ctx, "nyverket", edit, false); err == nil {
		t.Error("a source was renamed")
	}
	if err := m.Vet(ctx, "nyverket"); err != nil {
		t.Fatal(err)
	}
	status, err := m.Status(ctx, "nyverket")
	if err != nil {
		t.Fatal(err)
	}
	if status.RequireApproval || status.RecrawlInterval != 48*time.Hour || status.Status != store.StatusVetted || status.LastRun.ID != 0 {
		t.Errorf("status after edit and vet: %+v", status)
	}
	crawl(t, c, st, "nyverket")
	if err := m.Pause(ctx, "nyverket"); err != nil {
		t.Fatal(err)
	}
	if due, _ := m.DueRecrawls(ctx); len(due) != 0 {
		t.Errorf("a paused source is due: %+v", due)
	}
	if n := count(t, st, "SELECT count(*) FROM pages"); n != 4 {
		t.Errorf("a paused source keeps its pages; %d left", n)
	}

	if err := m.Vet(ctx, "nyverket"); err != nil {
		t.Fatal(err)
	}
	id, err := m.Recrawl(ctx, "nyverket", "steward")
	if err != nil {
		t.Fatal(err)
	}
	removed, err := m.Retire(ctx, "nyverket", "steward")
	if err != nil || removed != 4 {
		t.Fatalf("retire: %d pages removed, %v", removed, err)
	}
	if j, _ := jobs.NewQueue(st.Pool(), jobs.QueueOptions{}).Get(ctx, id); j.State != jobs.StateCancelled {
		t.Errorf("the queued recrawl of a retired source is %s, want cancelled", j.State)
	}
	all, err := m.Statuses(ctx)
	if err != nil || len(all) != 1 || all[0].Status != store.StatusRetired || len(all[0].PagesByLanguage) != 0 {
		t.Errorf("statuses after retiring: %+v, %v", all, err)
	}
	if n := count(t, st, "SELECT count(*) FROM chunks"); n != 0 {
		t.Errorf("%d passages of a retired source remain", n)
	}
	if _, err := m.Recrawl(ctx, "nyverket", "steward"); !errors.Is(err, ingest.ErrNotVetted) {
		t.Errorf("recrawl of a retired source: %v, want ErrNotVetted", err)
	}
	// sources.yaml upserts keep working on it and keep it retired.
	if saved, err := st.UpsertSource(ctx, added); err != nil || saved.Status != store.StatusRetired {
		t.Errorf("upsert of a retired source: %+v, %v", saved, err)
	}
	if _, err := m.Status(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("status of a missing source: %v", err)
	}
}
