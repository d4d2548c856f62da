// Command lots is Lots: a multilingual assistant that answers newcomers to Sweden from vetted
// agency sources, with citations. Run `lots help` for the subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
)

const usage = `lots — answers for newcomers to Sweden, from vetted agency sources, with citations.

Usage: lots <command> [flags]

Commands:
  migrate                      apply database migrations
  sources add [NAME...]        add (or update) sources from sources.yaml (all, or the named ones)
  sources list                 list sources with status, last crawl and pages
  sources vet NAME             allow a source into the live index
  sources pause NAME           take a source out of crawling and search
  sources recrawl NAME         queue a crawl of one source now (run by lots worker or lots serve)
  ingest [--source NAME] [--all]  crawl vetted sources that are due (or --all of them)
  worker [--concurrency N] [--name NAME] [--schedule=false]
                               run queued jobs (recrawls, index builds) and schedule due recrawls
  jobs list [--state S] [--kind K] [--limit N] | jobs cancel ID | jobs retry ID
  ask [--lang CODE] [--json] "question"   answer one question
  eval [--set FILE] [--baseline FILE] [--json OUT] [--md OUT] [--write-baseline FILE]
                               measure answer quality per language and kind; gate on a baseline
  index list|build|eval|publish|rollback|refresh|drop
                               index versions: build one beside the live index (re-chunk, re-embed),
                               evaluate it, publish it through the quality gate, roll back
  rules list|add|rm            pin or suppress a passage for questions like a given one
  users grant EMAIL --role steward|admin [--agency X] | revoke ... | list
                               staff roles by e-mail (given at the next OpenID Connect sign-in)
  processes validate|list|load|put   the process catalog: check it, list it, load it into the
                               database, save a steward's edit
  serve                        serve the chat page, the websocket chat and POST /api/ask on LOTS_ADDR
  demo [--once]                serve the demo agency sites, ingest them, answer questions, serve the chat
  bench [--chunks N,N] [--runs N]  benchmark ingestion, search and answers in scratch databases
  loadtest [--idle N] [--rate N] [--url URL]  load the chat server with websocket clients on loopback

Every command takes --help. Configuration: flags, or the LOTS_* environment variables in README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "lots:", err)
		}
		os.Exit(1)
	}
}

// run dispatches a command line; it is main without the process around it, for tests.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("lots "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, validate := bindConfig(fs)
	switch cmd {
	case "migrate":
		return withApp(ctx, fs, args, cfg, validate, stderr, func(a *app) error { return a.migrate(ctx, stdout) })
	case "sources":
		return withApp(ctx, fs, args, cfg, validate, stderr, func(a *app) error { return a.sources(ctx, fs.Args(), stdout) })
	case "ingest":
		source := fs.String("source", "", "crawl only this source")
		all := fs.Bool("all", false, "crawl every vetted source now, due or not")
		return withApp(ctx, fs, args, cfg, validate, stderr, func(a *app) error { return a.ingest(ctx, *source, *all, stdout) })
	case "worker":
		wf := bindWorker(fs)
		return withApp(ctx, fs, args, cfg, validate, stderr, func(a *app) error { return a.worker(ctx, *wf, a.indexJobs(), stdout) })
	case "jobs":
		return withApp(ctx, fs, args, cfg, validate, stderr, func(a *app) error { return a.jobsCommand(ctx, fs.Args(), stdout, stderr) })
	case "index":
		return runIndex(ctx, fs, args, cfg, validate, stdout, stderr)
	case "rules":
		return runRules(ctx, fs, args, cfg, validate, stdout, stderr)
	case "users":
		return withApp(ctx, fs, args, cfg, validate, stderr, func(a *app) error { return a.users(ctx, fs.Args(), stdout) })
	case "processes":
		return processes(ctx, fs, args, cfg, validate, stdout, stderr)
	case "ask":
		lang := fs.String("lang", "", "the asker's language (sv, en, ar, fa, so, ti, uk); detected when empty")
		asJSON := fs.Bool("json", false, "print the answer as JSON")
		return withApp(ctx, fs, args, cfg, validate, stderr, func(a *app) error { return a.ask(ctx, fs.Args(), *lang, *asJSON, stdout) })
	case "eval":
		var opts evalOptions
		fs.Var(&opts.sets, "set", "JSONL evaluation set (repeatable); default evals/sets/demo.*.jsonl")
		fs.StringVar(&opts.jsonOut, "json", "", "write the full report as JSON to this file")
		fs.StringVar(&opts.mdOut, "md", "", "write a Markdown report (and an SVG chart per language beside it) to this file")
		fs.StringVar(&opts.baseline, "baseline", "", "compare with this baseline and fail when a metric drops more than its tolerance")
		fs.StringVar(&opts.writeBaseline, "write-baseline", "", "save this run as the baseline in this file")
		fs.BoolVar(&opts.verbose, "v", false, "print every case")
		fs.IntVar(&opts.index, "index", 0, "evaluate this index version instead of the live one and keep the report with it")
		fs.StringVar(&opts.actor, "actor", env("USER", "cli"), "who evaluates (recorded with an index version's report)")
		return withApp(ctx, fs, args, cfg, validate, stderr, func(a *app) error { return a.eval(ctx, opts, stdout, stderr) })
	case "serve":
		return withApp(ctx, fs, args, cfg, validate, stderr, func(a *app) error { return a.serve(ctx, stdout) })
	case "demo":
		once := fs.Bool("once", false, "stop after the demo questions instead of serving the chat")
		return withApp(ctx, fs, args, cfg, validate, stderr, func(a *app) error { return a.demo(ctx, *once, stdin, stdout) })
	case "bench":
		opts := bindBench(fs)
		return withApp(ctx, fs, args, cfg, validate, stderr, func(a *app) error { return a.bench(ctx, *opts, stdout, stderr) })
	case "loadtest":
		opts := bindLoadtest(fs)
		return loadtest(ctx, fs, args, cfg, validate, opts, stdout, stderr)
	default:
		return fmt.Errorf("unknown command %q; run lots help", cmd)
	}
}

// app holds what the commands share: the configuration, the logger, the store, the embedder.
type app struct {
	cfg      *Config
	log      *slog.Logger
	store    *store.Store
	embedder retrieval.Embedder
}

// withApp parses flags, validates the configuration, opens the store and builds the embedder.
func withApp(ctx context.Context, fs *flag.FlagSet, args []string, cfg *Config, validate func() error, stderr io.Writer, f func(*app) error) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := validate(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if err := cfg.requireDatabase(); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	emb, err := cfg.newEmbedder(ctx)
	if err != nil {
		return err
	}
	return f(&app{cfg: cfg, log: log, store: st, embedder: emb})
}

// ready migrates the schema when asked to, or checks it.
func (a *app) checkSchema(ctx context.Context) error {
	if err := a.store.CheckSchema(ctx); err != nil {
		if errors.Is(err, store.ErrSchemaOutdated) {
			return fmt.Errorf("%w (or run lots demo, which migrates)", err)
		}
		return err
	}
	return nil
}

// newAssistant is the assistant every command answers with: from whichever index version is
// live at each question.
func (a *app) newAssistant() (*assistant.Assistant, error) { return a.newAssistantAt(0) }

func (a *app) newCrawler() *ingest.Crawler {
	return ingest.NewCrawler(a.store, a.embedder, a.log, ingest.CrawlOptions{Embedders: a.embedderSource()})
}
