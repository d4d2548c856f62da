package assistant_test

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/ingest/ingesttest"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
)

// The demo corpus is crawled once for the package (every test only reads it), into a database
// that TestMain drops when the tests are done.
var demo struct {
	once sync.Once
	tb   packageTB
	st   *store.Store
}

func TestMain(m *testing.M) {
	code := m.Run()
	demo.tb.cleanup()
	os.Exit(code)
}

// demoStore returns the store holding the crawled demo corpus.
func demoStore(t *testing.T) *store.Store {
	t.Helper()
	demo.once.Do(func() {
		// Run as a test body runs, so that a Fatal inside ends only this goroutine.
		done := make(chan struct{})
		go func() {
			defer close(done)
			demo.st = crawlDemo(&demo.tb)
		}()
		<-done
	})
	if demo.tb.err != nil {
		t.Fatalf("crawl the demo corpus: %v", demo.tb.err)
	}
	return demo.st
}

// crawlDemo is a fresh database holding the crawled demo corpus.
func crawlDemo(tb testing.TB) *store.Store {
	return ingesttest.DemoStore(tb)
}

// packageTB is the testing.TB that storetest needs, for a database that outlives any one test.
// It implements what storetest and crawlDemo call; Fatal ends the calling goroutine, as
// testing.T's does.
type packageTB struct {
	testing.TB // nil: any other method panics
	err        error
	cleanups   []func()
}

func (p *packageTB) Helper()          {}
func (p *packageTB) Cleanup(f func()) { p.cleanups = append(p.cleanups, f) }
func (p *packageTB) Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}
func (p *packageTB) Fatal(args ...any) {
	p.err = errors.New(strings.TrimSuffix(fmt.Sprintln(args...), "\n"))
	runtime.Goexit()
}
func (p *packageTB) Fatalf(format string, args ...any) {
	p.err = fmt.Errorf(format, args...)
	runtime.Goexit()
}

func (p *packageTB) cleanup() {
	for i := len(p.cleanups) - 1; i >= 0; i-- {
		p.cleanups[i]()
	}
}

// messages are the assistant's sentences in every language.
func messages(t *testing.T) *assistant.Messages {
	t.Helper()
	m, err := assistant.LoadMessages(retrieval.Languages)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// newAssistant answers from the demo corpus with the local embedder and the thresholds lots
// uses with it (cmd/lots defaultThresholds); gen nil answers extractively.
func newAssistant(t *testing.T, gen assistant.Generator, cfg assistant.Config) *assistant.Assistant {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	s := retrieval.NewSearcher(demoStore(t), retrieval.NewLocal(0), retrieval.DefaultThresholds["local"], log)
	return assistant.New(s, gen, messages(t), log, cfg)
}
