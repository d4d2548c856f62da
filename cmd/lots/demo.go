package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/ingest/demosite"
	"github.com/nyisverige/lots/retrieval/store"
	"github.com/nyisverige/lots/web/auth"
)

// demoQuestions are asked at the start of the demo: the personal identity number question in
// every supported language, and one the sources do not cover.
var demoQuestions = []struct{ lang, text string }{
	{"sv", "Hur får jag ett personnummer?"},
	{"en", "How do I get a personal identity number?"},
	{"ar", "كيف أحصل على رقم شخصي؟"},
	{"fa", "چگونه شماره شخصی بگیرم؟"},
	{"so", "Sideen ku helaa lambarka aqoonsiga shakhsiga?"},
	{"ti", "ናይ ውልቀ-ሰብ ቁጽሪ ብኸመይ እረክብ?"},
	{"uk", "Як отримати персональний ідентифікаційний номер?"},
	{"en", "What is the best recipe for cinnamon buns?"},
}

// demo serves the demo agency sites on loopback, registers them as vetted local sources,
// ingests them, answers the demo questions, and then serves the chat on LOTS_ADDR while
// answering what is typed at the prompt, until interrupted. With once, it stops after the demo
// questions.
func (a *app) demo(ctx context.Context, once bool, in io.Reader, out io.Writer) error {
	if _, err := a.store.Migrate(ctx); err != nil {
		return err
	}
	site, err := demosite.New()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.DemoAddr)
	if err != nil {
		return fmt.Errorf("demo: listen on %s (set LOTS_DEMO_ADDR): %w", a.cfg.DemoAddr, err)
	}
	srv := &http.Server{Handler: site, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(out, "Demo agency sites: %s/\n", base)

	start := time.Now()
	total, err := crawlDemo(ctx, a.store, a.newCrawler(), base, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Ingested %d pages in %s.\n\n", total, time.Since(start).Round(time.Millisecond))

	asst, err := a.newAssistant()
	if err != nil {
		return err
	}
	for _, q := range demoQuestions {
		fmt.Fprintf(out, "━━ [%s] %s\n", q.lang, q.text)
		ans, err := asst.Answer(ctx, assistant.Question{Text: q.text})
		if err != nil {
			return err
		}
		printAnswer(out, asst.Messages(), ans)
		fmt.Fprintln(out)
	}

	if once {
		return nil
	}
	chat, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("demo: listen on %s (set LOTS_ADDR): %w", a.cfg.Addr, err)
	}
	if a.cfg.SecretKey == nil { // the demo needs no setup: it makes its own sealing key
		if a.cfg.SecretKey, err = demoSecretKey(a.cfg.SecretKeyFile); err != nil {
			return err
		}
	}
	serveCtx, stop := context.WithCancel(ctx)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- a.serveOn(serveCtx, chat, asst, out) }()
	time.Sleep(300 * time.Millisecond) // let the server print its URL before the prompt
	accounts := auth.NewAccounts(a.store.Pool(), a.log, auth.AccountsConfig{})
	token, err := accounts.Invite(ctx, auth.Role{Name: auth.RoleAdmin}, "lots demo", 24*time.Hour)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Own space: %[1]s/space — stewards' console: open %[1]s/signin/invite/%[2]s, create a space with a passkey and accept the admin role (the link works once).\n\n",
		a.cfg.publicURL(chat.Addr().String()), token)

	fmt.Fprintln(out, "Ask here too, in any of sv, en, ar, fa, so, ti, uk (end of input leaves the chat serving; Ctrl-C stops):")
	sc := bufio.NewScanner(in)
	for {
		fmt.Fprint(out, "> ")
		if !sc.Scan() {
			fmt.Fprintln(out)
			return <-served
		}
		q := strings.TrimSpace(sc.Text())
		if q == "" {
			continue
		}
		ans, err := asst.Answer(ctx, assistant.Question{Text: q})
		if errors.Is(err, assistant.ErrEmptyQuestion) {
			continue
		}
		if err != nil {
			return err
		}
		printAnswer(out, asst.Messages(), ans)
		fmt.Fprintln(out)
	}
}

// crawlDemo registers the demo agency sites served at base as sources in st and crawls the
// vetted ones (a steward may have paused one) with crawler, for lots demo and lots bench. It
// writes a line per source to out and returns the pages crawled, new, changed or unchanged.
func crawlDemo(ctx context.Context, st *store.Store, crawler *ingest.Crawler, base string, out io.Writer) (int, error) {
	srcs, err := ingest.ParseSources(demosite.SourcesYAML(base))
	if err != nil {
		return 0, fmt.Errorf("demo sources: %w", err)
	}
	total := 0
	for _, src := range srcs {
		saved, err := st.UpsertSource(ctx, src)
		if err != nil {
			return 0, err
		}
		if saved.Status != store.StatusVetted {
			fmt.Fprintf(out, "%s is %s, not vetted: skipped (lots sources vet %s)\n", saved.Name, saved.Status, saved.Name)
			continue
		}
		src.ID, src.Status = saved.ID, saved.Status
		stats, err := crawler.Crawl(ctx, src)
		if err != nil {
			return 0, err
		}
		total += stats.Fetched + stats.Unchanged
		fmt.Fprintf(out, "  %-28s %3d new or changed pages, %3d unchanged\n", src.Name, stats.Fetched, stats.Unchanged)
	}
	return total, nil
}
