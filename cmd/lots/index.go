package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/evals"
	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/ingest/jobs"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
)

const indexUsage = `lots index: build, evaluate, publish and roll back index versions.

  lots index list
  lots index build [--embedder local|openai] [--chunk-size N] [--chunk-overlap N] [--note TEXT]
  lots index eval [--set FILE]... ID
  lots index publish [--override REASON] [--keep N] ID
  lots index rollback
  lots index refresh ID        chunk again the pages fetched since the version was built
  lots index drop ID

Every subcommand takes --actor NAME (default $USER): who did it, for the audit log.`

const rulesUsage = `lots rules: pin or suppress a passage for questions like one question.

  lots rules list [--lang CODE]
  lots rules add --lang CODE --question TEXT --url PAGE (--pin | --suppress) --note WHY [--heading H] [--passage TEXT]
  lots rules rm ID`

// indexOptions are the flags of lots index and lots rules.
type indexOptions struct {
	actor        string
	chunkSize    int
	chunkOverlap int
	note         string
	sets         stringList
	override     string
	keep         int

	lang, question, url, heading, passage string
	pin, suppress                         bool
}

func bindIndexFlags(fs *flag.FlagSet) *indexOptions {
	o := &indexOptions{}
	fs.StringVar(&o.actor, "actor", env("USER", "cli"), "who does this, for the audit log")
	fs.StringVar(&o.note, "note", "", "index build: what the version is for; rules add: why (required)")
	return o
}

// runIndex is lots index: flags may follow the subcommand and its id.
func runIndex(ctx context.Context, fs *flag.FlagSet, args []string, cfg *Config, validate func() error, stdout, stderr io.Writer) error {
	o := bindIndexFlags(fs)
	fs.IntVar(&o.chunkSize, "chunk-size", 180, "index build: passage length in words")
	fs.IntVar(&o.chunkOverlap, "chunk-overlap", -1, "index build: words repeated between passages of a section (0 for none; default 30, at most half a passage)")
	fs.Var(&o.sets, "set", "index eval: JSONL evaluation set (repeatable); default evals/sets/demo.*.jsonl")
	fs.StringVar(&o.override, "override", "", "index publish: publish although the gate fails, for this reason (admins only)")
	fs.IntVar(&o.keep, "keep", evals.DefaultKeepRetired, "index publish: retired versions to keep for rollbacks")
	return withSubcommand(ctx, fs, args, cfg, validate, indexUsage, stderr, func(a *app, sub string, pos []string) error {
		// The subcommands on one version.
		onVersion := map[string]func(id int) error{
			"eval":    func(id int) error { return a.indexEval(ctx, id, o, stdout, stderr) },
			"publish": func(id int) error { return a.indexPublish(ctx, id, o, stdout) },
			"refresh": func(id int) error { return a.refreshIndex(ctx, id, stdout) },
			"drop": func(id int) error {
				if err := a.store.DropIndex(ctx, id, o.actor); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "index %d dropped\n", id)
				return nil
			},
		}
		if run, ok := onVersion[sub]; ok {
			id, err := oneID(pos)
			if err != nil {
				return fmt.Errorf("index %s: %w", sub, err)
			}
			return run(id)
		}
		switch sub {
		case "list":
			return a.indexList(ctx, stdout)
		case "build":
			return a.indexBuild(ctx, o, stdout, stderr)
		case "rollback":
			from, to, err := a.store.Rollback(ctx, o.actor)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "index %d is live again; index %d is ready (publish it again through the gate)\n", to.ID, from.ID)
			if err := a.refreshIndex(ctx, to.ID, stdout); err != nil {
				fmt.Fprintf(stdout, "warning: index %d misses the pages fetched since it was retired (%v); run lots index refresh %d\n", to.ID, err, to.ID)
			}
			return nil
		default:
			return fmt.Errorf("index: unknown subcommand %q (list, build, eval, publish, rollback, refresh, drop)", sub)
		}
	})
}

// runRules is lots rules.
func runRules(ctx context.Context, fs *flag.FlagSet, args []string, cfg *Config, validate func() error, stdout, stderr io.Writer) error {
	o := bindIndexFlags(fs)
	fs.StringVar(&o.lang, "lang", "", "the question's language (sv, en, ar, fa, so, ti, uk)")
	fs.StringVar(&o.question, "question", "", "rules add: the question the rule is for (similar questions match too)")
	fs.StringVar(&o.url, "url", "", "rules add: the page of the passage")
	fs.StringVar(&o.heading, "heading", "", "rules add: only the page's passages under this heading path (\"A › B\")")
	fs.StringVar(&o.passage, "passage", "", "rules add: only the page's passages overlapping this text")
	fs.BoolVar(&o.pin, "pin", false, "rules add: give the passage first")
	fs.BoolVar(&o.suppress, "suppress", false, "rules add: never give the passage")
	return withSubcommand(ctx, fs, args, cfg, validate, rulesUsage, stderr, func(a *app, sub string, pos []string) error {
		switch sub {
		case "list":
			return a.rulesList(ctx, o.lang, stdout)
		case "add":
			return a.rulesAdd(ctx, o, stdout)
		case "rm":
			if len(pos) != 1 {
				return errors.New("rules rm: give one rule id")
			}
			id, err := strconv.ParseInt(pos[0], 10, 64)
			if err != nil {
				return fmt.Errorf("rules rm: %q is not a rule id", pos[0])
			}
			if err := a.store.DeleteRule(ctx, id, o.actor); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "rule %d deleted\n", id)
			return nil
		default:
			return fmt.Errorf("rules: unknown subcommand %q (list, add, rm)", sub)
		}
	})
}

// withSubcommand parses a command of subcommands (usage is its help), then runs the subcommand
// with the app over a current schema.
func withSubcommand(ctx context.Context, fs *flag.FlagSet, args []string, cfg *Config, validate func() error, usage string, stderr io.Writer,
	run func(a *app, sub string, pos []string) error) error {
	fs.Usage = func() { fmt.Fprintln(stderr, usage); fs.PrintDefaults() }
	sub, pos, err := subcommand(fs, args)
	if err != nil {
		return err
	}
	return withApp(ctx, fs, nil, cfg, validate, stderr, func(a *app) error {
		if err := a.checkSchema(ctx); err != nil {
			return err
		}
		return run(a, sub, pos)
	})
}

// subcommand takes the subcommand from args and parses the flags, which may come before or
// after the positional arguments (lots index publish 7 --override "…").
func subcommand(fs *flag.FlagSet, args []string) (sub string, pos []string, err error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if err := fs.Parse(args); err != nil {
			return "", nil, err
		}
		fs.Usage()
		return "", nil, errors.New("give a subcommand")
	}
	pos, err = parseInterspersed(fs, args[1:])
	return args[0], pos, err
}

// parseInterspersed parses args with flags before, between and after the positional arguments,
// and returns those.
func parseInterspersed(fs *flag.FlagSet, args []string) (pos []string, err error) {
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func oneID(pos []string) (int, error) {
	if len(pos) != 1 {
		return 0, errors.New("give one index version id (lots index list)")
	}
	id, err := strconv.Atoi(pos[0])
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%q is not an index version id", pos[0])
	}
	return id, nil
}

func (a *app) indexList(ctx context.Context, out io.Writer) error {
	vs, err := a.store.IndexVersions(ctx)
	if err != nil {
		return err
	}
	evaluation := map[int]string{}
	for _, v := range vs {
		if !v.EvaluatedAt.IsZero() {
			r, _, err := evals.IndexReport(ctx, a.store, v.ID)
			if err != nil {
				return err
			}
			evaluation[v.ID] = fmt.Sprintf("R@1 %.2f answered %.2f refusal %.2f", r.Overall.Recall1, r.Overall.AnswerRate, r.Overall.RefusalAccuracy)
		}
	}
	return writeTable(out, vs, "", "ID\tSTATE\tEMBEDDER\tCHUNKING\tCHUNKS\tSTALE\tCREATED\tPUBLISHED\tEVAL\tNOTE", func(v store.IndexVersion) string {
		chunking := "default"
		if v.Chunking.Words > 0 {
			chunking = fmt.Sprintf("%d/%d", v.Chunking.Words, v.Chunking.Overlap)
		}
		published := "-"
		if !v.PublishedAt.IsZero() {
			published = v.PublishedAt.Local().Format(time.DateTime) + " " + v.PublishedBy
		}
		note := v.Note
		if v.Error != "" {
			note = strings.TrimSpace(note + " error: " + v.Error)
		}
		if v.OverrideReason != "" {
			note = strings.TrimSpace(note + " override: " + v.OverrideReason)
		}
		// The crawler keeps the live version current, so its count says nothing.
		stale := "-"
		if v.State != store.IndexLive && !v.PagesAsOf.IsZero() {
			stale = fmt.Sprint(v.StalePages)
		}
		return fmt.Sprintf("%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s", v.ID, v.State, v.Embedder, chunking, v.Chunks, stale,
			v.CreatedAt.Local().Format(time.DateTime), published, cmp.Or(evaluation[v.ID], "-"), note)
	})
}

func (a *app) indexBuild(ctx context.Context, o *indexOptions, out, progress io.Writer) error {
	if o.chunkSize < 20 || o.chunkSize > 2000 {
		return fmt.Errorf("index build: chunk size %d: want 20 to 2000 words", o.chunkSize)
	}
	if o.chunkOverlap < -1 || o.chunkOverlap >= o.chunkSize {
		return fmt.Errorf("index build: chunk overlap %d: want 0 to less than the chunk size", o.chunkOverlap)
	}
	// ingest.ChunkOptions reads 0 as its default and a negative overlap as none.
	overlap := map[int]int{-1: 0, 0: -1}[o.chunkOverlap]
	if o.chunkOverlap > 0 {
		overlap = o.chunkOverlap
	}
	start := time.Now()
	ix, err := ingest.BuildIndex(ctx, a.store, a.embedder, a.log, ingest.BuildOptions{
		Chunking: ingest.ChunkOptions{Words: o.chunkSize, Overlap: overlap},
		Note:     o.note,
		Actor:    o.actor,
		Progress: func(_ context.Context, done, total int) error {
			fmt.Fprintf(progress, "build: %d/%d pages\n", done, total)
			return nil
		},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "index %d built by %s in %s; evaluate it with lots index eval %d\n", ix.ID, ix.Embedder,
		time.Since(start).Round(time.Millisecond), ix.ID)
	return nil
}

// indexJobs are the handlers of the index versions' jobs, for lots worker.
func (a *app) indexJobs() map[string]jobs.Handler {
	answererAt := func(id int) (evals.Answerer, error) { return a.newAssistantAt(id) }
	return map[string]jobs.Handler{
		ingest.KindIndexBuild: ingest.BuildHandler(a.store, a.embedderOf, a.log),
		evals.KindIndexEval:   evals.EvalHandler(a.store, answererAt, loadEvalCases),
	}
}

// embedderOf builds the embedder of a kind (local or openai) from the configuration, for a
// build with another embedder than the configured one (the job queue's).
func (a *app) embedderOf(ctx context.Context, kind string) (retrieval.Embedder, error) {
	if kind == "" || kind == a.cfg.Embedder {
		return a.embedder, nil
	}
	cfg := *a.cfg
	cfg.Embedder = kind
	if kind != "local" && kind != "openai" {
		return nil, fmt.Errorf("embedder %q: use local or openai", kind)
	}
	if kind == "local" {
		cfg.EmbedDims = 0 // a configured dimension is the OpenAI model's
	}
	return cfg.newEmbedder(ctx)
}

func (a *app) indexEval(ctx context.Context, id int, o *indexOptions, out, progress io.Writer) error {
	cases, err := loadEvalCases(o.sets)
	if err != nil {
		return err
	}
	r, err := a.evalIndex(ctx, id, cases, o.actor, func(_ context.Context, done, total int) error {
		if done%50 == 0 || done == total {
			fmt.Fprintf(progress, "eval: %d/%d cases\n", done, total)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := r.WriteTable(out); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nSaved as the evaluation of index %d; publish it with lots index publish %d\n", id, id)
	return nil
}

// evalIndex evaluates index version id with the cases and stores the report with it, for lots
// index eval, lots eval --index and the job queue.
func (a *app) evalIndex(ctx context.Context, id int, cases []evals.Case, actor string, progress func(ctx context.Context, done, total int) error) (evals.Report, error) {
	asst, err := a.newAssistantAt(id)
	if err != nil {
		return evals.Report{}, err
	}
	return evals.EvalIndex(ctx, a.store, id, asst, cases, actor, progress)
}

func (a *app) indexPublish(ctx context.Context, id int, o *indexOptions, out io.Writer) error {
	c, err := a.publishIndex(ctx, id, evals.PublishOptions{Actor: o.actor, Override: o.override, KeepRetired: o.keep}, out)
	if err == nil || errors.Is(err, evals.ErrGateFailed) {
		if werr := c.WriteTable(out); werr != nil {
			return werr
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nindex %d is live", id)
	if c.Live.ID != 0 {
		fmt.Fprintf(out, "; index %d is retired (lots index rollback restores it)", c.Live.ID)
	}
	fmt.Fprintln(out)
	for _, d := range c.Dropped {
		fmt.Fprintf(out, "dropped old retired index %d\n", d)
	}
	if e := a.embedder; c.Candidate.Embedder != e.Name() || c.Candidate.Dimensions != e.Dimensions() {
		fmt.Fprintf(out, "note: index %d was built by %s; this configuration embeds with %s: set LOTS_EMBEDDER (and the LOTS_EMBED_* settings) to match\n",
			id, c.Candidate.Embedder, e.Name())
	}
	return nil
}

// publishIndex brings the candidate up to date with the pages fetched since it was built, then
// publishes it through the gate, for lots index publish, the console and the job queue.
func (a *app) publishIndex(ctx context.Context, id int, opts evals.PublishOptions, out io.Writer) (evals.Comparison, error) {
	if err := a.refreshIndex(ctx, id, out); err != nil {
		return evals.Comparison{}, err
	}
	return evals.PublishIndex(ctx, a.store, id, opts)
}

// refreshIndex chunks again, into index version id, the pages fetched since it was built.
func (a *app) refreshIndex(ctx context.Context, id int, out io.Writer) error {
	ix, err := a.store.IndexByID(ctx, id)
	if err != nil {
		return err
	}
	e := a.embedder
	if ix.Embedder != e.Name() || ix.Dimensions != e.Dimensions() {
		if e, _, err = a.embedderSource()(ctx, ix.Embedder, ix.Dimensions); err != nil {
			return fmt.Errorf("refresh index %d: %w", id, err)
		}
	}
	n, err := ingest.RefreshIndex(ctx, a.store, e, id)
	if err != nil {
		return err
	}
	if n > 0 {
		fmt.Fprintf(out, "index %d: chunked again %d pages fetched since it was last current\n", id, n)
	}
	return nil
}

func (a *app) rulesList(ctx context.Context, lang string, out io.Writer) error {
	rules, err := a.store.Rules(ctx, lang)
	if err != nil {
		return err
	}
	return writeTable(out, rules, "", "ID\tLANG\tACTION\tQUESTION\tPAGE\tHEADING\tNOTE\tBY", func(r store.Rule) string {
		return fmt.Sprintf("%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s", r.ID, r.Language, r.Action, r.Question, r.URL, r.Heading, r.Note, r.CreatedBy)
	})
}

func (a *app) rulesAdd(ctx context.Context, o *indexOptions, out io.Writer) error {
	if o.pin == o.suppress {
		return errors.New("rules add: say --pin or --suppress")
	}
	if !slices.Contains(retrieval.Languages, o.lang) {
		return fmt.Errorf("rules add: --lang %q: use one of %s", o.lang, strings.Join(retrieval.Languages, ", "))
	}
	action := store.RulePin
	if o.suppress {
		action = store.RuleSuppress
	}
	r, err := a.store.AddRule(ctx, store.Rule{Language: o.lang, Question: o.question, URL: o.url, Heading: o.heading,
		Passage: o.passage, Action: action, Note: o.note, CreatedBy: o.actor})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "rule %d: %s %s for questions like %q\n", r.ID, r.Action, r.URL, r.Question)
	return nil
}

// loadEvalCases reads the sets, or the demo sets when none are given.
func loadEvalCases(sets []string) ([]evals.Case, error) {
	if len(sets) == 0 {
		var err error
		if sets, err = demoSets(); err != nil {
			return nil, err
		}
	}
	return evals.LoadCases(sets...)
}

// newSearcher is the searcher every command answers with: it embeds with the configured
// embedder, and with the local or the configured OpenAI-compatible model when a version built
// by one of them is searched (one published while lots serve runs, say).
func (a *app) newSearcher() *retrieval.Searcher {
	limits := retrieval.Thresholds{MinCoverage: a.cfg.MinCoverage, MinSimilarity: a.cfg.MinSimilarity}
	return retrieval.NewSearcher(a.store, a.embedder, limits, a.log).WithEmbedders(a.embedderSource())
}

// embedderSource makes the embedders of index versions built by other embedders than the
// configured one: the local one of any dimension, or the configured OpenAI-compatible model.
func (a *app) embedderSource() retrieval.EmbedderSource {
	return func(ctx context.Context, name string, dims int) (retrieval.Embedder, retrieval.Thresholds, error) {
		if e, limits, err := retrieval.LocalEmbedders(ctx, name, dims); err == nil {
			return e, limits, nil
		}
		if name != "openai:"+a.cfg.EmbedModel {
			return nil, retrieval.Thresholds{}, fmt.Errorf("no configured embedder is %s", name)
		}
		e, err := retrieval.NewOpenAI(ctx, retrieval.OpenAIConfig{BaseURL: a.cfg.EmbedURL, APIKey: a.cfg.EmbedKey,
			Model: a.cfg.EmbedModel, Dimensions: dims})
		return e, retrieval.DefaultThresholds["openai"], err
	}
}

// newAssistantAt is an assistant that answers from index version id, live or not (0: whichever
// is live at each question).
func (a *app) newAssistantAt(id int) (*assistant.Assistant, error) {
	msgs, err := assistant.LoadMessages(retrieval.Languages)
	if err != nil {
		return nil, err
	}
	gen, err := a.cfg.newGenerator()
	if err != nil {
		return nil, err
	}
	return assistant.New(a.newSearcher().AtIndex(id), gen, msgs, a.log, assistant.Config{GenerateTime: a.cfg.ChatTimeout}), nil
}

// demoSets are the demo evaluation sets, found from the working directory.
func demoSets() ([]string, error) {
	sets, err := filepath.Glob("evals/sets/demo.*.jsonl")
	if err != nil || len(sets) == 0 {
		return nil, errors.New("no --set given and no evals/sets/demo.*.jsonl here")
	}
	return sets, nil
}
