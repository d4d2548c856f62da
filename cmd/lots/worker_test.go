package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/ingest/demosite"
	"github.com/nyisverige/lots/ingest/jobs"
	"github.com/nyisverige/lots/retrieval/store/storetest"
)

// testApp runs f with an app on a fresh, migrated database.
func testApp(t *testing.T, f func(*app) error) {
	t.Helper()
	fs := flag.NewFlagSet("lots test", flag.ContinueOnError)
	cfg, validate := bindConfig(fs)
	args := []string{"--database-url", storetest.URL(t), "--log-level", "warn"}
	if err := withApp(context.Background(), fs, args, cfg, validate, io.Discard, func(a *app) error {
		if _, err := a.store.Migrate(context.Background()); err != nil {
			return err
		}
		return f(a)
	}); err != nil {
		t.Fatal(err)
	}
}

func TestWorkerRunsRecrawlFromTheCommandLine(t *testing.T) {
	site, err := demosite.New()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(site)
	defer srv.Close()
	srcs, err := ingest.ParseSources(demosite.SourcesYAML(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	testApp(t, func(a *app) error {
		ctx := context.Background()
		src := srcs[0]
		src.Status = "vetted"
		if _, err := a.store.UpsertSource(ctx, src); err != nil {
			return err
		}
		var out bytes.Buffer
		if err := a.sourcesRecrawl(ctx, []string{src.Name}, &out); err != nil {
			return err
		}
		if err := a.sourcesRecrawl(ctx, []string{src.Name}, &out); err != nil {
			return err
		}
		if got := out.String(); !strings.Contains(got, "recrawl queued as job 1") || !strings.Contains(got, "already queued or running (job 1)") {
			t.Errorf("sources recrawl printed %q", got)
		}

		wctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			done <- a.worker(wctx, workerFlags{name: "cli-test", concurrency: 1, every: time.Hour}, map[string]jobs.Handler{
				"noop": func(context.Context, jobs.Job, func(context.Context, jobs.Progress) error) error { return nil },
			}, io.Discard)
		}()
		q := a.newQueue()
		deadline := time.Now().Add(60 * time.Second)
		for j, _ := q.Get(ctx, 1); j.State != jobs.StateDone; j, _ = q.Get(ctx, 1) {
			if time.Now().After(deadline) {
				t.Fatalf("the recrawl did not finish: %+v", j)
			}
			time.Sleep(50 * time.Millisecond)
		}
		stop()
		if err := <-done; err != nil {
			return err
		}

		out.Reset()
		if err := a.jobsCommand(ctx, []string{"list", "--kind", "recrawl"}, &out, io.Discard); err != nil {
			return err
		}
		if got := out.String(); !strings.Contains(got, "recrawl:"+src.Name) || !strings.Contains(got, "done") {
			t.Errorf("jobs list printed:\n%s", got)
		}
		if err := a.jobsCommand(ctx, []string{"cancel", "1"}, &out, io.Discard); err == nil {
			t.Error("cancelled a finished job")
		}
		return nil
	})
}
