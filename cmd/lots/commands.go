package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/retrieval/store"
)

func (a *app) migrate(ctx context.Context, out io.Writer) error {
	applied, err := a.store.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(out, "schema is up to date (version %d)\n", store.SchemaVersion())
		return nil
	}
	for _, m := range applied {
		fmt.Fprintln(out, "applied", m)
	}
	return nil
}

func (a *app) sources(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("sources: say add, list, vet or pause")
	}
	if err := a.checkSchema(ctx); err != nil {
		return err
	}
	switch args[0] {
	case "add":
		data, err := os.ReadFile(a.cfg.SourcesFile)
		if err != nil {
			return fmt.Errorf("sources add: %w", err)
		}
		srcs, err := ingest.ParseSources(data)
		if err != nil {
			return fmt.Errorf("%s: %w", a.cfg.SourcesFile, err)
		}
		names := args[1:]
		added := 0
		for _, src := range srcs {
			if len(names) > 0 && !slices.Contains(names, src.Name) {
				continue
			}
			saved, err := a.store.UpsertSource(ctx, src)
			if err != nil {
				return err
			}
			added++
			fmt.Fprintf(out, "%s (%s): %s\n", saved.Name, saved.Agency, saved.Status)
		}
		if added < len(names) {
			return fmt.Errorf("sources add: some of %s are not in %s", strings.Join(names, ", "), a.cfg.SourcesFile)
		}
		return nil
	case "list":
		srcs, err := a.store.Sources(ctx)
		if err != nil {
			return err
		}
		return writeTable(out, srcs, "no sources; lots sources add loads sources.yaml", "NAME\tAGENCY\tSTATUS\tPAGES\tLAST CRAWL",
			func(s store.Source) string {
				last := "never"
				if !s.LastCrawl.IsZero() {
					last = s.LastCrawl.Local().Format(time.DateTime)
				}
				return fmt.Sprintf("%s\t%s\t%s\t%d\t%s", s.Name, s.Agency, s.Status, s.Pages, last)
			})
	case "vet", "pause":
		if len(args) != 2 {
			return fmt.Errorf("sources %s: name one source", args[0])
		}
		status := map[string]string{"vet": store.StatusVetted, "pause": store.StatusPaused}[args[0]]
		if err := a.store.SetSourceStatus(ctx, args[1], status); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s: %s\n", args[1], status)
		return nil
	case "recrawl":
		return a.sourcesRecrawl(ctx, args[1:], out)
	default:
		return fmt.Errorf("sources: unknown subcommand %q (add, list, vet, pause, recrawl)", args[0])
	}
}

// ingest crawls the vetted sources that are due, or the one named, or all.
func (a *app) ingest(ctx context.Context, name string, all bool, out io.Writer) error {
	if err := a.checkSchema(ctx); err != nil {
		return err
	}
	srcs, err := a.store.Sources(ctx)
	if err != nil {
		return err
	}
	if name != "" {
		src, err := a.store.SourceByName(ctx, name)
		if err != nil {
			return err
		}
		srcs, all = []store.Source{src}, true
	}
	crawler := a.newCrawler()
	crawled := 0
	for _, src := range srcs {
		if src.Status != store.StatusVetted {
			if name != "" {
				return fmt.Errorf("ingest %s: %w (status %s): run lots sources vet %s", name, ingest.ErrNotVetted, src.Status, name)
			}
			continue
		}
		if !all && !src.LastCrawl.IsZero() && time.Since(src.LastCrawl) < src.RecrawlInterval {
			continue
		}
		start := time.Now()
		stats, err := crawler.Crawl(ctx, src)
		if err != nil {
			return err
		}
		crawled++
		fmt.Fprintf(out, "%-28s fetched %4d  unchanged %4d  removed %3d  failed %3d  in %s\n", src.Name,
			stats.Fetched, stats.Unchanged, stats.Removed, stats.Failed, time.Since(start).Round(time.Millisecond))
	}
	if crawled == 0 {
		fmt.Fprintln(out, "no vetted source is due; use --all to crawl anyway")
	}
	return nil
}

func (a *app) ask(ctx context.Context, args []string, lang string, asJSON bool, out io.Writer) error {
	question := strings.TrimSpace(strings.Join(args, " "))
	if question == "" {
		return errors.New(`ask: give a question, e.g. lots ask "How do I get a personal identity number?"`)
	}
	if err := a.checkSchema(ctx); err != nil {
		return err
	}
	asst, err := a.newAssistant()
	if err != nil {
		return err
	}
	ans, err := asst.Answer(ctx, assistant.Question{Text: question, Language: lang})
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(ans)
	}
	printAnswer(out, asst.Messages(), ans)
	return nil
}

// printAnswer writes an answer for a terminal: the text, then the numbered sources.
func printAnswer(out io.Writer, m *assistant.Messages, ans assistant.Answer) {
	fmt.Fprintln(out, ans.Answer)
	if len(ans.Citations) == 0 {
		return
	}
	fmt.Fprintf(out, "\n%s:\n", m.Text(ans.Language, assistant.MsgSources))
	for _, c := range ans.Citations {
		fmt.Fprintf(out, "[%d] %s — %s\n    %s (%s, %s %s)\n", c.N, c.Title, c.Agency, c.URL, c.Language,
			m.Text(ans.Language, assistant.MsgFetched), c.Fetched)
	}
}
