package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nyisverige/lots/evals"
	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/ingest/ingesttest"
	"github.com/nyisverige/lots/ingest/jobs"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
	"github.com/nyisverige/lots/retrieval/store/storetest"
)

// lotsSub runs lots index (or lots rules) as main dispatches it, with flags after the
// subcommand's arguments as a steward types them.
func lotsSub(t *testing.T, run func(context.Context, *flag.FlagSet, []string, *Config, func() error, io.Writer, io.Writer) error,
	dbURL string, args ...string) (string, error) {
	t.Helper()
	fs := flag.NewFlagSet("lots", flag.ContinueOnError)
	var out, errOut bytes.Buffer
	fs.SetOutput(&errOut)
	cfg, validate := bindConfig(fs)
	args = append(args, "--database-url", dbURL, "--actor", "ada", "--log-level", "warn")
	err := run(context.Background(), fs, args, cfg, validate, &out, &errOut)
	return out.String() + errOut.String(), err
}

func TestIndexCommands(t *testing.T) {
	dbURL := storetest.URL(t)
	st, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	ingesttest.CrawlDemo(t, st)
	sets, err := filepath.Glob("../../evals/sets/demo.*.jsonl")
	if err != nil || len(sets) == 0 {
		t.Fatalf("demo sets: %v", err)
	}
	var setFlags []string
	for _, s := range sets {
		setFlags = append(setFlags, "--set", s)
	}

	steps := []struct {
		name    string
		rules   bool
		args    []string
		wantErr bool
		want    []string // in the output
	}{
		{"build", false, []string{"build", "--chunk-size", "120", "--chunk-overlap", "20", "--note", "shorter passages"}, false,
			[]string{"build: 0/", "index 2 built by local-hash-v1-384"}},
		{"bad chunking", false, []string{"build", "--chunk-size", "100", "--chunk-overlap", "100"}, true, nil},
		{"list", false, []string{"list"}, false, []string{"2   ready", "120/20", "shorter passages", "1   live"}},
		{"publish unevaluated", false, []string{"publish", "2"}, true, nil},
		{"eval candidate", false, append([]string{"eval", "2"}, setFlags...), false, []string{"Saved as the evaluation of index 2"}},
		{"publish against an unevaluated live version", false, []string{"publish", "2"}, true, []string{"Gate: FAILED", "index 1"}},
		{"eval live", false, append([]string{"eval", "1"}, setFlags...), false, nil},
		{"publish", false, []string{"publish", "2"}, false, []string{"Gate: passed", "index 2 is live; index 1 is retired"}},
		{"list after publishing", false, []string{"list"}, false, []string{"2   live", "1   retired", "R@1 0."}},
		{"rollback", false, []string{"rollback"}, false, []string{"index 1 is live again; index 2 is ready"}},
		{"publish without an id", false, []string{"publish"}, true, nil},
		{"unknown subcommand", false, []string{"promote", "2"}, true, nil},
		{"add a rule", true, []string{"add", "--lang", "en", "--question", "How do I get a personal identity number?",
			"--url", "http://example/x", "--pin", "--note", "the right page"}, false, []string{"rule 1: pin http://example/x"}},
		{"a rule without a note", true, []string{"add", "--lang", "en", "--question", "q", "--url", "http://example/x", "--suppress"}, true, nil},
		{"a rule in an unknown language", true, []string{"add", "--lang", "de", "--question", "q", "--url", "u", "--pin", "--note", "n"}, true, nil},
		{"list rules", true, []string{"list", "--lang", "en"}, false, []string{"pin", "the right page", "ada"}},
		{"remove a rule", true, []string{"rm", "1"}, false, []string{"rule 1 deleted"}},
		{"remove it again", true, []string{"rm", "1"}, true, nil},
	}
	for _, step := range steps {
		run := runIndex
		if step.rules {
			run = runRules
		}
		out, err := lotsSub(t, run, dbURL, step.args...)
		if (err != nil) != step.wantErr {
			t.Fatalf("%s: lots %s: error %v, want error %v\n%s", step.name, strings.Join(step.args, " "), err, step.wantErr, out)
		}
		t.Logf("$ lots %s\n%s", strings.Join(step.args, " "), out)
		for _, w := range step.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", step.name, w, out)
			}
		}
	}
}

// The console starts builds and evaluations as jobs; lots worker runs them with the handlers of
// indexJobs, reporting progress.
func TestIndexJobs(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dbURL := storetest.URL(t)
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ingesttest.CrawlDemo(t, st)
	fs := flag.NewFlagSet("lots", flag.ContinueOnError)
	cfg, validate := bindConfig(fs)
	if err := fs.Parse([]string{"--database-url", dbURL}); err != nil || validate() != nil {
		t.Fatal(err, validate())
	}
	a := &app{cfg: cfg, log: slog.New(slog.DiscardHandler), store: st, embedder: retrieval.NewLocal(0)}
	q := jobs.NewQueue(st.Pool(), jobs.QueueOptions{})
	go jobs.NewWorker(q, a.indexJobs(), a.log, jobs.WorkerOptions{Poll: 10 * time.Millisecond}).Run(ctx)
	run := func(kind, args string) jobs.Job {
		t.Helper()
		id, err := q.Enqueue(ctx, jobs.Job{Kind: kind, Args: json.RawMessage(args), CreatedBy: "ada", MaxAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(time.Minute)
		for {
			j, err := q.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if j.State != jobs.StateQueued && j.State != jobs.StateRunning {
				return j
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s %s still %s", kind, args, j.State)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	j := run(ingest.KindIndexBuild, `{"chunk_size": 120, "chunk_overlap": 20, "note": "from the console"}`)
	if j.State != jobs.StateDone || j.Progress.Total == 0 || j.Progress.Done != j.Progress.Total || j.Progress.Message != "pages" {
		t.Fatalf("build job: %+v", j)
	}
	v, err := st.IndexVersion(ctx, 2)
	if err != nil || v.State != store.IndexReady || v.Note != "from the console" || v.CreatedBy != "ada" || v.Chunking.Words != 120 {
		t.Fatalf("built version: %+v, %v", v, err)
	}
	sets, _ := filepath.Glob("../../evals/sets/demo.*.jsonl")
	setsJSON, _ := json.Marshal(evals.EvalArgs{Index: 2, Sets: sets})
	j = run(evals.KindIndexEval, string(setsJSON))
	if j.State != jobs.StateDone || j.Progress.Total != 168 || j.Progress.Done != 168 {
		t.Fatalf("eval job: %+v", j)
	}
	if _, at, err := evals.IndexReport(ctx, st, 2); err != nil || at.IsZero() {
		t.Fatalf("evaluation of the version: %v", err)
	}
	for _, bad := range []struct{ kind, args string }{
		{evals.KindIndexEval, `{"sets": []}`},
		{evals.KindIndexEval, `{"index": 99}`},
		{ingest.KindIndexBuild, `{"embedder": "word2vec"}`},
	} {
		if j := run(bad.kind, bad.args); j.State != jobs.StateFailed || j.Error == "" {
			t.Errorf("job %s %s: %s %q, want failed with the reason", bad.kind, bad.args, j.State, j.Error)
		}
	}
}
