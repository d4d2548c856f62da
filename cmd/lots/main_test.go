package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nyisverige/lots/ingest/demosite"
	"github.com/nyisverige/lots/retrieval/store/storetest"
)

// TestMain lets the test binary act as the lots command, so tests can run it as a real
// process — and kill it.
func TestMain(m *testing.M) {
	if os.Getenv("LOTS_TEST_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// lotsCmd returns the lots command with a database URL and a sources file.
func lotsCmd(t *testing.T, dbURL, sources string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "LOTS_TEST_RUN_MAIN=1", "DATABASE_URL="+dbURL, "LOTS_SOURCES="+sources, "LOTS_LOG_LEVEL=warn")
	return cmd
}

func runLots(t *testing.T, dbURL, sources string, args ...string) string {
	t.Helper()
	cmd := lotsCmd(t, dbURL, sources, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("lots %s: %v\n%s\n%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String()
}

// slowDemo serves the demo site with a small delay per request, so an ingest takes long
// enough to be killed in the middle.
func slowDemo(t *testing.T) (base, sourcesFile string) {
	t.Helper()
	site, err := demosite.New()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(10 * time.Millisecond)
		site.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	sourcesFile = filepath.Join(t.TempDir(), "sources.yaml")
	if err := os.WriteFile(sourcesFile, demosite.SourcesYAML(srv.URL), 0o644); err != nil {
		t.Fatal(err)
	}
	return srv.URL, sourcesFile
}

func counts(t *testing.T, dbURL string) map[string]int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	out := map[string]int{}
	for name, q := range map[string]string{
		"pages":           "SELECT count(*) FROM pages",
		"distinct urls":   "SELECT count(DISTINCT url) FROM pages",
		"chunks":          "SELECT count(*) FROM chunks",
		"distinct chunks": "SELECT count(DISTINCT (page_id, ord)) FROM chunks",
		"frontier done":   "SELECT count(*) FROM crawl_urls WHERE state = 'done'",
		"open runs":       "SELECT count(*) FROM crawl_runs WHERE finished_at IS NULL",
	} {
		var n int
		if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out[name] = n
	}
	return out
}

func TestIngestSurvivesKill9(t *testing.T) {
	_, sources := slowDemo(t)

	clean := storetest.URL(t)
	runLots(t, clean, sources, "migrate")
	runLots(t, clean, sources, "sources", "add")
	runLots(t, clean, sources, "ingest")
	want := counts(t, clean)
	if want["pages"] < 90 {
		t.Fatalf("a clean ingest indexed only %d pages", want["pages"])
	}

	killed := storetest.URL(t)
	runLots(t, killed, sources, "migrate")
	runLots(t, killed, sources, "sources", "add")
	cmd := lotsCmd(t, killed, sources, "ingest")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for counts(t, killed)["pages"] < want["pages"]/3 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the ingest did not make progress")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup of any kind
		t.Fatal(err)
	}
	cmd.Wait()
	mid := counts(t, killed)
	if mid["pages"] >= want["pages"] || mid["open runs"] != 1 {
		t.Fatalf("killed too late to test anything: %v", mid)
	}

	runLots(t, killed, sources, "ingest")
	got := counts(t, killed)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %d after kill -9 and a rerun, %d after a clean ingest", k, got[k], v)
		}
	}
}

func TestAskJSONContract(t *testing.T) {
	_, sources := slowDemo(t)
	db := storetest.URL(t)
	runLots(t, db, sources, "migrate")
	runLots(t, db, sources, "sources", "add")
	runLots(t, db, sources, "ingest")

	out := runLots(t, db, sources, "ask", "--json", "كيف أحصل على رقم شخصي؟")
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("ask --json printed no JSON object: %v\n%s", err, out)
	}
	for _, k := range []string{"answer", "language", "answered", "citations"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("ask --json lacks %q", k)
		}
	}
	var ans struct {
		Answer    string `json:"answer"`
		Language  string `json:"language"`
		Answered  bool   `json:"answered"`
		Citations []struct {
			N                                     int
			Title, URL, Agency, Language, Passage string
		} `json:"citations"`
	}
	if err := json.Unmarshal([]byte(out), &ans); err != nil {
		t.Fatal(err)
	}
	if !ans.Answered || ans.Language != "ar" || len(ans.Citations) == 0 {
		t.Fatalf("Arabic question: %+v", ans)
	}
	c := ans.Citations[0]
	if c.N != 1 || !strings.HasSuffix(c.URL, "/skatteverket/ar/personal-identity-number") || c.Language != "ar" || c.Agency != "Skatteverket" || c.Passage == "" {
		t.Errorf("first citation %+v; want [1] to the Arabic personal identity number page", c)
	}
	if !strings.Contains(ans.Answer, "[1]") {
		t.Errorf("the answer does not cite [1]: %s", ans.Answer)
	}

	// An off-topic question gets an honest refusal, in the asker's language.
	out = runLots(t, db, sources, "ask", "--json", "--lang", "sv", "Har du ett bra recept på kanelbullar?")
	if err := json.Unmarshal([]byte(out), &ans); err != nil {
		t.Fatal(err)
	}
	if ans.Answered || len(ans.Citations) != 0 || !strings.Contains(ans.Answer, "Jag vet inte") {
		t.Errorf("off-topic question: %+v; want a Swedish refusal without citations", ans)
	}
}

func TestCommandErrorsAreClear(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"no database", []string{"ask", "hej"}, []string{"DATABASE_URL="}, "no database: set DATABASE_URL"},
		{"unknown command", []string{"fly"}, nil, `unknown command "fly"`},
		{"bad embedder", []string{"ask", "hej"}, []string{"LOTS_EMBEDDER=magic"}, `embedder "magic"`},
		{"bad threshold", []string{"ask", "--min-coverage", "2", "hej"}, nil, "min coverage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], tt.args...)
			cmd.Env = append(append(os.Environ(), "LOTS_TEST_RUN_MAIN=1", "DATABASE_URL=postgres://127.0.0.1:1/none"), tt.env...)
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), tt.want) {
				t.Errorf("exit %v, output %q; want a failure saying %q", err, out, tt.want)
			}
		})
	}
}

func TestEvalGate(t *testing.T) {
	_, sources := slowDemo(t)
	db := storetest.URL(t)
	runLots(t, db, sources, "migrate")
	runLots(t, db, sources, "sources", "add")
	runLots(t, db, sources, "ingest")
	sets, err := filepath.Glob("../../evals/sets/demo.*.jsonl")
	if err != nil || len(sets) != 7 {
		t.Fatalf("eval sets: %v %v", sets, err)
	}
	args := []string{"eval", "--baseline", "../../evals/baseline.json"}
	for _, s := range sets {
		args = append(args, "--set", s)
	}

	// The committed baseline holds for the code as it is.
	out := runLots(t, db, sources, args...)
	if !strings.Contains(out, "No metric fell") {
		t.Fatalf("eval against the committed baseline:\n%s", out)
	}

	// A deliberate regression — a relevance threshold that refuses most questions — fails the gate.
	cmd := lotsCmd(t, db, sources, append(args, "--min-coverage", "0.6")...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	err = cmd.Run()
	if err == nil {
		t.Fatalf("the gate passed a regression:\n%s", stdout.String())
	}
	if !strings.Contains(stdout.String(), "answer_rate fell from") {
		t.Errorf("the gate's report does not name the fallen metric:\n%s", stdout.String())
	}
}
