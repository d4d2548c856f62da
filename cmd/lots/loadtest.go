package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/retrieval"
)

// loadtestOptions are the flags of lots loadtest.
type loadtestOptions struct {
	idle     int
	clients  int
	rate     float64
	duration time.Duration
	url      string
}

// loadtestFlags are lots loadtest's own flags; the others are configuration, handed on to the
// server it starts.
var loadtestFlags = []string{"idle", "clients", "rate", "duration", "url"}

const (
	openers    = 32               // connections being opened at once
	openFor    = 3 * time.Minute  // opening the idle connections stops after this
	handshake  = 10 * time.Second // per connection: TCP, upgrade, hello and ready
	answerWait = 40 * time.Second // per question: the server's answer timeout (30 s), and then some
	drainFor   = 30 * time.Second // questions not sent this long after the schedule ends are dropped
	settle     = 2 * time.Second  // pause before measuring memory, so the handshakes' garbage is collected
)

func bindLoadtest(fs *flag.FlagSet) *loadtestOptions {
	o := &loadtestOptions{}
	fs.IntVar(&o.idle, "idle", 10_000, "idle websocket connections to open and hold")
	fs.IntVar(&o.clients, "clients", 50, "connections that ask the questions, besides the idle ones")
	fs.Float64Var(&o.rate, "rate", 50, "questions per second in total, sent on schedule whether or not earlier answers are done")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "how long questions are sent")
	fs.StringVar(&o.url, "url", "", "websocket URL of a running server on loopback, e.g. ws://127.0.0.1:8080/ws (default: start lots serve over DATABASE_URL on a free loopback port)")
	return o
}

func (o loadtestOptions) validate() error {
	var errs []error
	if o.idle < 0 || o.idle > 1_000_000 {
		errs = append(errs, fmt.Errorf("--idle %d: want 0 to 1000000", o.idle))
	}
	if o.clients < 1 || o.clients > 10_000 {
		errs = append(errs, fmt.Errorf("--clients %d: want 1 to 10000", o.clients))
	}
	if o.rate <= 0 || o.rate > 10_000 {
		errs = append(errs, fmt.Errorf("--rate %g: want more than 0 and at most 10000 questions per second", o.rate))
	}
	if o.duration < time.Second || o.duration > time.Hour {
		errs = append(errs, fmt.Errorf("--duration %s: want 1s to 1h", o.duration))
	}
	if o.url != "" {
		if u, err := url.Parse(o.url); err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
			errs = append(errs, fmt.Errorf("--url %q: want ws://HOST:PORT/ws", o.url))
		}
	}
	return errors.Join(errs...)
}

// loadtest runs lots loadtest against the server at --url, or against a lots serve it starts
// for the measurement and stops again.
func loadtest(ctx context.Context, fs *flag.FlagSet, args []string, cfg *Config, validate func() error, o *loadtestOptions, out, progress io.Writer) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := o.validate(); err != nil {
		return fmt.Errorf("loadtest: %w", err)
	}
	if o.url != "" { // someone else's server: no database needed here
		rep, err := runLoad(ctx, *o, o.url, 0, progress)
		if err != nil {
			return err
		}
		rep.write(out)
		fmt.Fprintf(out, "\nThe %d conversations the load test started stay on the server until its retention removes them.\n", len(rep.conversations))
		return nil
	}
	var inherited []string
	fs.Visit(func(f *flag.Flag) {
		if !slices.Contains(loadtestFlags, f.Name) {
			inherited = append(inherited, "--"+f.Name+"="+f.Value.String())
		}
	})
	return withApp(ctx, fs, args, cfg, validate, progress, func(a *app) error { return a.loadtest(ctx, *o, inherited, out, progress) })
}

// loadtest starts lots serve with this configuration, measures it, stops it, and removes the
// conversations the measurement started.
func (a *app) loadtest(ctx context.Context, o loadtestOptions, inherited []string, out, progress io.Writer) error {
	if err := a.checkSchema(ctx); err != nil {
		return err
	}
	if err := a.checkCorpus(ctx); err != nil {
		return err
	}
	srv, err := startServer(ctx, o, inherited, progress)
	if err != nil {
		return err
	}
	rep, err := runLoad(ctx, o, "ws://"+srv.addr+"/ws", srv.cmd.Process.Pid, progress)
	srv.stop()
	if err != nil {
		return err
	}
	rep.mode = "extractive answers"
	if a.cfg.ChatModel != "" {
		rep.mode = "answers by " + a.cfg.ChatModel
	}
	rep.write(out)
	return a.deleteConversations(ctx, rep.conversations)
}

// checkCorpus fails when there is nothing to answer from.
func (a *app) checkCorpus(ctx context.Context) error {
	const hint = "run lots demo --once first (or lots ingest)"
	if _, err := a.store.LiveIndex(ctx); err != nil {
		return fmt.Errorf("loadtest: no live index in this database: %s", hint)
	}
	srcs, err := a.store.Sources(ctx)
	if err != nil {
		return err
	}
	pages := 0
	for _, s := range srcs {
		if s.Status == "vetted" {
			pages += s.Pages
		}
	}
	if pages == 0 {
		return fmt.Errorf("loadtest: the live index is empty: %s", hint)
	}
	return nil
}

const deleteConversationsSQL = `DELETE FROM conversations WHERE id = ANY($1::uuid[])`

func (a *app) deleteConversations(ctx context.Context, ids []string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if _, err := a.store.Pool().Exec(ctx, deleteConversationsSQL, ids); err != nil {
		return fmt.Errorf("loadtest: remove the %d conversations it started: %w", len(ids), err)
	}
	return nil
}

// loadServer is a lots serve process started for the measurement. It runs in a process of its
// own so that its memory can be told from the load generator's, and so that each side has the
// whole open-file limit (20,000 here, which one process holding both ends of 10,000
// connections would exceed).
type loadServer struct {
	cmd    *exec.Cmd
	addr   string
	cancel context.CancelFunc
	exited chan struct{}
	err    error // of the process, once exited is closed
}

func startServer(ctx context.Context, o loadtestOptions, inherited []string, progress io.Writer) (*loadServer, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("loadtest: find the lots binary: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("loadtest: find a free loopback port: %w", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	args := append([]string{"serve"}, inherited...)
	// The limits are raised for the measurement: room for every connection, and questions per
	// minute far above --rate, since every client shares 127.0.0.1 and so one address's bucket.
	args = append(args, "--addr="+addr, "--max-connections="+strconv.Itoa(o.idle+o.clients+100), "--asks-per-minute=1000000")
	if !slices.ContainsFunc(inherited, func(s string) bool { return strings.HasPrefix(s, "--log-level=") }) {
		args = append(args, "--log-level=warn") // an access log line per connection would drown the progress
	}
	sctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(sctx, exe, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 15 * time.Second
	cmd.Stdout, cmd.Stderr = progress, progress
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("loadtest: start lots serve: %w", err)
	}
	s := &loadServer{cmd: cmd, addr: addr, cancel: cancel, exited: make(chan struct{})}
	go func() { s.err = cmd.Wait(); close(s.exited) }()
	if err := s.waitReady(ctx, 30*time.Second); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *loadServer) waitReady(ctx context.Context, limit time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if resp, err := client.Get("http://" + s.addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("loadtest: lots serve exited: %v", s.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("loadtest: lots serve on %s was not ready within %s", s.addr, limit)
}

// stop interrupts the server, which shuts down gracefully (killed after 15 s).
func (s *loadServer) stop() {
	s.cancel()
	<-s.exited
}

// loadReport is what lots loadtest measured.
type loadReport struct {
	opts          loadtestOptions
	mode          string // extractive answers, or the model's; empty when not known
	idle          idleReport
	asks          askSummary
	conversations []string // started by the load test
}

type idleReport struct {
	held, stillOpen int
	stopped         string // why opening stopped short of --idle
	took            time.Duration
	client          memGrowth
	server          memGrowth // rss only; zero when the server is not ours
	serverPeak      int64     // the server's peak resident memory (VmHWM) after the questions
	clientFiles     string    // open-file limits
	serverFiles     string
}

// memGrowth is how much a process's memory grew while the idle connections were opened.
type memGrowth struct{ heap, rss int64 }

// runLoad opens the idle connections, asks questions over the asking ones while the idle ones
// stay open, and closes them all. serverPID, when not 0, is the server's process, whose memory
// is measured too.
func runLoad(ctx context.Context, o loadtestOptions, wsURL string, serverPID int, progress io.Writer) (*loadReport, error) {
	questions, err := loadtestQuestions()
	if err != nil {
		return nil, err
	}
	r := &loadRun{opts: o, url: wsURL, progress: progress, dialer: loopbackDialer()}
	rep := &loadReport{opts: o}
	rep.idle.clientFiles, rep.idle.serverFiles = openFileLimit("self"), openFileLimit(strconv.Itoa(serverPID))

	time.Sleep(settle)
	clientBefore, serverBefore := sampleSelf(), sampleProcess(serverPID)
	r.logf("opening %d idle connections to %s", o.idle, wsURL)
	start := time.Now()
	idle, stopped := r.openIdle(ctx)
	rep.idle.held, rep.idle.stopped, rep.idle.took = len(idle), stopped, time.Since(start)
	defer r.closeAll(idle)
	r.logf("holding %d idle connections (%s)", len(idle), rep.idle.took.Round(time.Millisecond))
	time.Sleep(settle)
	clientAfter, serverAfter := sampleSelf(), sampleProcess(serverPID)
	rep.idle.client = memGrowth{heap: clientAfter.heap - clientBefore.heap, rss: clientAfter.rss - clientBefore.rss}
	if serverPID != 0 {
		rep.idle.server = memGrowth{rss: serverAfter.rss - serverBefore.rss}
	}

	r.logf("asking %g questions per second for %s over %d connections", o.rate, o.duration, o.clients)
	rep.asks = r.ask(ctx, questions)
	rep.idle.stillOpen = len(idle) - int(r.dropped.Load())
	if serverPID != 0 {
		_, rep.idle.serverPeak, _ = procMemory(strconv.Itoa(serverPID))
	}
	rep.conversations = r.conversations
	return rep, ctx.Err()
}

// loadRun is the load generator's state.
type loadRun struct {
	opts     loadtestOptions
	url      string
	progress io.Writer
	dialer   *websocket.Dialer
	closing  atomic.Bool
	dropped  atomic.Int64 // idle connections the server closed

	mu            sync.Mutex
	conversations []string
}

func (r *loadRun) logf(format string, args ...any) {
	fmt.Fprintf(r.progress, "loadtest: "+format+"\n", args...)
}

// loopbackDialer dials loopback addresses only, with small buffers and a shared write buffer
// pool, so the load generator's own connections cost little.
func loopbackDialer() *websocket.Dialer {
	nd := &net.Dialer{Timeout: handshake, Control: func(network, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("loadtest dials loopback only, not %s", address)
		}
		return nil
	}}
	return &websocket.Dialer{NetDialContext: nd.DialContext, HandshakeTimeout: handshake,
		ReadBufferSize: 1024, WriteBufferSize: 1024, WriteBufferPool: &sync.Pool{}}
}

// serverMessage holds the fields of a server message the load generator looks at.
type serverMessage struct {
	Type         string `json:"type"`
	ID           string `json:"id"`
	Conversation string `json:"conversation"`
	Code         string `json:"code"`
	Message      string `json:"message"`
	Answered     bool   `json:"answered"`
}

// connect opens a connection and starts a conversation on it.
func (r *loadRun) connect(ctx context.Context, lang string) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, handshake)
	defer cancel()
	c, resp, err := r.dialer.DialContext(ctx, r.url, nil)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("%w (HTTP %d)", err, resp.StatusCode)
		}
		return nil, err
	}
	if err := r.hello(c, lang); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// hello starts a new conversation on c: hello, then ready.
func (r *loadRun) hello(c *websocket.Conn, lang string) error {
	deadline := time.Now().Add(handshake)
	c.SetWriteDeadline(deadline)
	c.SetReadDeadline(deadline)
	var m serverMessage
	err := c.WriteJSON(map[string]string{"type": "hello", "language": lang})
	if err == nil {
		err = c.ReadJSON(&m)
	}
	switch {
	case err != nil:
		return fmt.Errorf("hello: %w", err)
	case m.Type != "ready":
		return fmt.Errorf("hello: got %s %s %s, want ready", m.Type, m.Code, m.Message)
	}
	c.SetWriteDeadline(time.Time{})
	c.SetReadDeadline(time.Time{})
	r.mu.Lock()
	r.conversations = append(r.conversations, m.Conversation)
	r.mu.Unlock()
	return nil
}

// openIdle opens up to --idle connections, stopping at the first failure (such as running out
// of file descriptors) or after openFor. Each gets a reader, which answers the server's pings.
func (r *loadRun) openIdle(ctx context.Context) (conns []*websocket.Conn, stopped string) {
	ctx, cancel := context.WithTimeout(ctx, openFor)
	defer cancel()
	slots := make([]*websocket.Conn, r.opts.idle)
	var next, opened atomic.Int64
	var once sync.Once
	var wg sync.WaitGroup
	for range min(openers, r.opts.idle) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(slots) || ctx.Err() != nil {
					return
				}
				c, err := r.connect(ctx, retrieval.Languages[i%len(retrieval.Languages)])
				if err != nil {
					once.Do(func() { stopped = fmt.Sprintf("connection %d: %v", i+1, err) })
					cancel()
					return
				}
				slots[i] = c
				go r.idleReader(c)
				if n := opened.Add(1); n%1000 == 0 {
					r.logf("%d idle connections open", n)
				}
			}
		})
	}
	wg.Wait()
	for _, c := range slots {
		if c != nil {
			conns = append(conns, c)
		}
	}
	if stopped == "" && len(conns) < r.opts.idle {
		stopped = fmt.Sprintf("not all open within %s", openFor)
	}
	return conns, stopped
}

func (r *loadRun) idleReader(c *websocket.Conn) {
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			if !r.closing.Load() {
				r.dropped.Add(1)
			}
			return
		}
	}
}

func (r *loadRun) closeAll(conns []*websocket.Conn) {
	r.closing.Store(true)
	for _, c := range conns {
		c.Close()
	}
}

// askJob is a question due at a time.
type askJob struct {
	n  int
	q  assistant.Question
	at time.Time // latencies count from here, so a question sent late counts against the server
}

// askResult is how one question went.
type askResult struct {
	firstDelta, done time.Duration // since the question was due; 0 when it did not come
	code             string        // empty for an answer, else the error code, or timeout, closed, connect, not_sent
	answered         bool          // the answer came from the sources (not "not covered")
	late             bool          // sent late: every asking connection was busy
}

// ask sends questions on a fixed schedule (open loop) over --clients connections, each
// answering one at a time, and summarizes how they went.
func (r *loadRun) ask(ctx context.Context, questions []assistant.Question) askSummary {
	total := max(1, int(r.opts.rate*r.opts.duration.Seconds()))
	results := make([]askResult, total)
	jobs := make(chan askJob, total)
	start := time.Now()
	end := start.Add(r.opts.duration)
	var wg sync.WaitGroup
	for w := range r.opts.clients {
		wg.Go(func() {
			a := &asker{r: r, lang: retrieval.Languages[w%len(retrieval.Languages)]}
			defer a.close()
			for j := range jobs {
				if ctx.Err() != nil || time.Now().After(end.Add(drainFor)) {
					results[j.n] = askResult{code: "not_sent"}
					continue
				}
				results[j.n] = a.ask(ctx, j)
			}
		})
	}
	scheduled := 0
	for i := range total {
		at := start.Add(time.Duration(float64(i) / r.opts.rate * float64(time.Second)))
		if !sleepUntil(ctx, at) {
			break
		}
		jobs <- askJob{n: i, q: questions[i%len(questions)], at: at}
		scheduled++
	}
	close(jobs)
	wg.Wait()
	return summarize(results[:scheduled], r.opts)
}

func sleepUntil(ctx context.Context, at time.Time) bool {
	t := time.NewTimer(time.Until(at))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// asker is one asking connection, redialled when the server drops it.
type asker struct {
	r    *loadRun
	lang string
	conn *websocket.Conn
}

func (a *asker) close() {
	if a.conn != nil {
		a.conn.Close()
	}
}

// ask asks a question in a conversation of its own, as a visitor with one question would:
// the server reads a question as a follow-up of the one before it in the conversation, and
// unrelated questions in one would be answered worse than they are. The next conversation
// starts after the answer, before the next question is due.
func (a *asker) ask(ctx context.Context, j askJob) askResult {
	late := time.Since(j.at) > 10*time.Millisecond
	if a.conn == nil {
		c, err := a.r.connect(ctx, a.lang)
		if err != nil {
			return askResult{code: "connect", late: late}
		}
		a.conn = c
	}
	res := a.question(ctx, j)
	res.late = late
	if a.conn != nil {
		if err := a.r.hello(a.conn, a.lang); err != nil {
			a.conn.Close()
			a.conn = nil
		}
	}
	return res
}

// question sends the ask and reads the answer to its end.
func (a *asker) question(ctx context.Context, j askJob) (res askResult) {
	c := a.conn
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	id := "q" + strconv.Itoa(j.n)
	c.SetWriteDeadline(time.Now().Add(handshake))
	c.SetReadDeadline(time.Now().Add(answerWait))
	err := c.WriteJSON(map[string]string{"type": "ask", "id": id, "text": j.q.Text, "language": j.q.Language})
	for err == nil {
		var m serverMessage
		if err = c.ReadJSON(&m); err != nil {
			break
		}
		switch m.Type {
		case "answer.delta":
			if res.firstDelta == 0 {
				res.firstDelta = time.Since(j.at)
			}
		case "answer.done":
			res.done, res.answered = time.Since(j.at), m.Answered
			return res
		case "error":
			res.code = m.Code
			return res
		}
	}
	c.Close()
	a.conn = nil
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		res.code = "timeout"
	} else {
		res.code = "closed"
	}
	return res
}

// askSummary is the questions' outcome.
type askSummary struct {
	asked, done, answered, late int
	errors                      map[string]int // by code
	rate                        float64        // answers completed per second
	firstDelta, finish          [3]time.Duration
}

var summaryPercentiles = [3]float64{50, 95, 99}

// summarize sums up the results of questions due at o.rate; latencies are of completed answers.
func summarize(results []askResult, o loadtestOptions) askSummary {
	s := askSummary{asked: len(results), errors: map[string]int{}}
	var first, done []time.Duration
	var last time.Duration
	for _, r := range results {
		if r.late {
			s.late++
		}
		if r.code != "" {
			s.errors[r.code]++
			continue
		}
		s.done++
		if r.answered {
			s.answered++
		}
		if r.firstDelta > 0 {
			first = append(first, r.firstDelta)
		}
		done = append(done, r.done)
		last = max(last, r.done)
	}
	if len(done) > 0 {
		// From the first question's due time to the last answer's end: the last one was due
		// (done-1)/rate after the first.
		span := time.Duration(float64(len(results)-1)/o.rate*float64(time.Second)) + last
		s.rate = float64(s.done) / span.Seconds()
	}
	for i, p := range summaryPercentiles {
		s.firstDelta[i], s.finish[i] = percentile(first, p), percentile(done, p)
	}
	return s
}

// loadtestQuestions are the evaluation sets' questions that stand alone (a follow-up needs the
// conversation before it), mixed across languages; or the demo's questions without the sets.
func loadtestQuestions() ([]assistant.Question, error) {
	all, err := evalQuestions()
	if err != nil {
		return nil, err
	}
	var qs []assistant.Question
	for _, q := range all {
		if q.Previous == "" {
			qs = append(qs, q)
		}
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(qs), func(i, j int) { qs[i], qs[j] = qs[j], qs[i] })
	return qs, nil
}

// sampleSelf is this process's live Go memory (heap and stacks, after a collection) and
// resident memory.
func sampleSelf() memGrowth {
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, _, _ := procMemory("self")
	return memGrowth{heap: int64(ms.HeapInuse + ms.StackInuse), rss: rss}
}

// sampleProcess is another process's resident memory; that process's garbage is in it.
func sampleProcess(pid int) memGrowth {
	if pid == 0 {
		return memGrowth{}
	}
	rss, _, _ := procMemory(strconv.Itoa(pid))
	return memGrowth{rss: rss}
}

// procMemory reads a process's resident memory and its peak from /proc (Linux).
func procMemory(pid string) (rss, peak int64, err error) {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	return parseStatus(f)
}

// parseStatus reads VmRSS and VmHWM, in bytes, from a /proc/PID/status file.
func parseStatus(r io.Reader) (rss, peak int64, err error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(value), "kB")), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %q", name, value)
		}
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	if rss == 0 {
		return 0, 0, errors.New("no VmRSS")
	}
	return rss, peak, nil
}

// openFileLimit is a process's soft open-file limit from /proc (Linux), or "?". Go raises the
// soft limit to the hard one at start, so this is the most the process can hold.
func openFileLimit(pid string) string {
	if pid == "0" {
		return ""
	}
	data, err := os.ReadFile("/proc/" + pid + "/limits")
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "Max open files"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				return f[0]
			}
		}
	}
	return "?"
}

// machine describes the computer: CPUs and their model, memory, system and Go.
func machine() string {
	model, mem := "", ""
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = " (" + strings.TrimSpace(v) + ")"
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(data), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.1f GiB memory", float64(kb)/(1<<20))
		}
	}
	return fmt.Sprintf("%d CPUs%s%s, %s/%s, %s", runtime.NumCPU(), model, mem, runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// write prints the report as Markdown tables, for the README.
func (rep *loadReport) write(out io.Writer) {
	o, idle, s := rep.opts, rep.idle, rep.asks
	fmt.Fprintf(out, "\nlots loadtest --idle %d --clients %d --rate %g --duration %s", o.idle, o.clients, o.rate, o.duration)
	if rep.mode != "" {
		fmt.Fprintf(out, " (%s)", rep.mode)
	}
	fmt.Fprintf(out, "\nMachine: %s; server, load generator and PostgreSQL share it, on loopback.\n\n", machine())
	fmt.Fprintln(out, "| measure | value |\n|---|---|")
	held := fmt.Sprintf("%s of %s idle + %d asking; %s idle still open after the questions",
		thousands(idle.held), thousands(o.idle), o.clients, thousands(idle.stillOpen))
	if idle.stopped != "" {
		held += "; opening stopped: " + strings.ReplaceAll(idle.stopped, "|", "/")
	}
	fmt.Fprintf(out, "| connections held at once | %s |\n", held)
	if idle.held > 0 {
		fmt.Fprintf(out, "| opening the idle ones (hello → ready) | %s, %.0f/s |\n",
			idle.took.Round(100*time.Millisecond), float64(idle.held)/idle.took.Seconds())
		if idle.server.rss != 0 {
			fmt.Fprintf(out, "| server memory per idle connection | %s resident (%s over %s) |\n",
				kib(idle.server.rss, idle.held), mib(idle.server.rss), thousands(idle.held))
		} else {
			fmt.Fprintln(out, "| server memory per idle connection | not measured (not this load test's server) |")
		}
		fmt.Fprintf(out, "| load generator memory per connection | %s Go heap and stacks, %s resident |\n",
			kib(idle.client.heap, idle.held), kib(idle.client.rss, idle.held))
	}
	if idle.serverPeak > 0 {
		fmt.Fprintf(out, "| server peak resident memory | %s |\n", mib(idle.serverPeak))
	}
	if idle.serverFiles != "" {
		fmt.Fprintf(out, "| open-file limit | %s server, %s load generator |\n", idle.serverFiles, idle.clientFiles)
	}
	fmt.Fprintf(out, "| questions | %s due at %g/s for %s; %s answers (%s from the sources), %.1f/s |\n",
		thousands(s.asked), o.rate, o.duration, thousands(s.done), thousands(s.answered), s.rate)
	errs := "none"
	if len(s.errors) > 0 {
		var parts []string
		for _, code := range slices.Sorted(maps.Keys(s.errors)) {
			parts = append(parts, fmt.Sprintf("%s %d", code, s.errors[code]))
		}
		errs = strings.Join(parts, ", ")
	}
	fmt.Fprintf(out, "| errors | %s |\n", errs)
	fmt.Fprintf(out, "| sent late (every asking connection busy) | %d |\n\n", s.late)
	fmt.Fprintln(out, "| time from question due to | p50 | p95 | p99 |\n|---|---:|---:|---:|")
	fmt.Fprintf(out, "| first answer.delta | %.1f ms | %.1f ms | %.1f ms |\n", ms(s.firstDelta[0]), ms(s.firstDelta[1]), ms(s.firstDelta[2]))
	fmt.Fprintf(out, "| answer.done | %.1f ms | %.1f ms | %.1f ms |\n", ms(s.finish[0]), ms(s.finish[1]), ms(s.finish[2]))
	if idle.server.rss != 0 {
		fmt.Fprintln(out, "\nServer memory is the growth of the lots serve process's resident memory while the idle")
		fmt.Fprintln(out, "connections opened, garbage not yet collected included; the load generator's is after a collection.")
		fmt.Fprintln(out, "The server's connection and question limits were raised for the measurement.")
	}
}

func kib(bytes int64, n int) string { return fmt.Sprintf("%.1f KiB", float64(bytes)/float64(n)/1024) }
func mib(bytes int64) string        { return fmt.Sprintf("%.0f MiB", float64(bytes)/(1<<20)) }

// thousands writes n with a comma between thousands: 10,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
