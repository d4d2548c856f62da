package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/nyisverige/lots/evals"
	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/ingest/jobs"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
	"github.com/nyisverige/lots/web/auth"
)

// indexMetrics are the quality rates the index page compares, by their JSON names, with the key
// of their label.
var indexMetrics = []indexMetric{
	{"recall_at_1", "console_metric_recall1", func(m evals.Metrics) float64 { return m.Recall1 }},
	{"recall_at_5", "console_metric_recall5", func(m evals.Metrics) float64 { return m.Recall5 }},
	{"mrr", "console_metric_mrr", func(m evals.Metrics) float64 { return m.MRR }},
	{"answer_rate", "console_metric_answer_rate", func(m evals.Metrics) float64 { return m.AnswerRate }},
	{"citation_precision", "console_metric_citation", func(m evals.Metrics) float64 { return m.CitationPrec }},
	{"refusal_accuracy", "console_metric_refusal", func(m evals.Metrics) float64 { return m.RefusalAccuracy }},
}

type indexMetric struct {
	name, key string
	of        func(evals.Metrics) float64
}

// indexPage is what console_index.html shows.
type indexPage struct {
	Versions    []store.IndexVersion
	Metric      string
	Metrics     []option
	Chart       template.HTML // the chosen metric per language over the evaluated versions
	ChartHead   []string      // the chart as a table: a column per evaluated version
	ChartRows   []chartRow
	Candidates  []store.IndexVersion // versions that may be published
	Compare     *compareView
	Jobs        []jobs.Job
	Running     bool // a build or an evaluation is queued or running: the page refreshes itself
	CanRollback bool
	IsAdmin     bool
	Override    string // the override reason typed, kept when publishing is refused
}

type option struct {
	Value, Label string
	Selected     bool
}

type chartRow struct {
	Label  string
	Values []string
}

// compareView is a candidate's evaluation against the live version's, as the page shows it.
type compareView struct {
	evals.Comparison
	Passed  bool
	Problem string // why the two could not be compared, or an error, already in the page's language
	Head    []string
	Rows    []compareRow
}

type compareRow struct {
	Group string
	Cases int
	Cells []compareCell
}

type compareCell struct {
	Live, Candidate, Delta string
	Worse                  bool // a regression beyond the gate's tolerance
}

// indexJobKinds are the job kinds the index page shows.
var indexJobKinds = []string{ingest.KindIndexBuild, evals.KindIndexEval}

// refreshIndex chunks again, into version id, the pages crawled since it was last current
// (ConsoleConfig.RefreshIndex; nothing when not set).
func (s *Server) refreshIndex(ctx context.Context, id int) error {
	if s.cfg.Console.RefreshIndex == nil {
		return nil
	}
	return s.cfg.Console.RefreshIndex(ctx, id)
}

func (s *Server) indexPageData(ctx context.Context, r *http.Request, u auth.User, t map[string]string) (indexPage, error) {
	st := s.cfg.Console.Store
	p := indexPage{IsAdmin: u.IsAdmin(), Metric: "recall_at_5"}
	var err error
	if p.Versions, err = st.IndexVersions(ctx); err != nil {
		return p, err
	}
	if m := r.URL.Query().Get("metric"); slices.ContainsFunc(indexMetrics, func(x indexMetric) bool { return x.name == m }) {
		p.Metric = m
	}
	for _, m := range indexMetrics {
		p.Metrics = append(p.Metrics, option{Value: m.name, Label: t[m.key], Selected: m.name == p.Metric})
	}
	if err := s.indexChart(ctx, &p, t); err != nil {
		return p, err
	}
	for _, v := range p.Versions {
		switch v.State {
		case store.IndexReady:
			p.Candidates = append(p.Candidates, v)
		case store.IndexRetired:
			p.CanRollback = true
		}
	}
	compareID, _ := strconv.Atoi(r.URL.Query().Get("compare"))
	if compareID == 0 && len(p.Candidates) > 0 {
		compareID = p.Candidates[0].ID
	}
	if compareID > 0 {
		p.Compare = s.compare(ctx, compareID, t)
	}
	if p.Jobs, err = s.cfg.Console.Jobs.List(ctx, jobs.Filter{Kinds: indexJobKinds, Limit: 10}); err != nil {
		return p, err
	}
	for _, j := range p.Jobs {
		p.Running = p.Running || j.State == jobs.StateQueued || j.State == jobs.StateRunning
	}
	return p, nil
}

// indexChart draws the chosen metric per language over the evaluated versions, oldest first.
func (s *Server) indexChart(ctx context.Context, p *indexPage, t map[string]string) error {
	var of func(evals.Metrics) float64
	for _, m := range indexMetrics {
		if m.name == p.Metric {
			of = m.of
		}
	}
	var xs []string
	byLang := map[string][]float64{}
	evaluated := 0
	for i := len(p.Versions) - 1; i >= 0; i-- {
		v := p.Versions[i]
		if v.EvaluatedAt.IsZero() {
			continue
		}
		rep, _, err := evals.IndexReport(ctx, s.cfg.Console.Store, v.ID)
		if errors.Is(err, evals.ErrNoEval) {
			continue
		}
		if err != nil {
			return err
		}
		xs = append(xs, fmt.Sprintf("#%d", v.ID))
		for _, l := range retrieval.Languages {
			val := -1.0
			if m, ok := rep.ByLanguage[l]; ok {
				val = of(m)
			}
			byLang[l] = append(byLang[l], val)
		}
		evaluated++
	}
	if evaluated == 0 {
		return nil
	}
	p.ChartHead = xs
	var series []chartSeries
	for _, l := range retrieval.Languages {
		series = append(series, chartSeries{Label: l, Values: byLang[l]})
		row := chartRow{Label: l}
		for _, v := range byLang[l] {
			row.Values = append(row.Values, fmtRate(v))
		}
		p.ChartRows = append(p.ChartRows, row)
	}
	label := p.Metric
	for _, o := range p.Metrics {
		if o.Selected {
			label = o.Label
		}
	}
	p.Chart = lineChart("chart-quality", fmt.Sprintf(t["console_index_chart_title"], label),
		fmt.Sprintf(t["console_index_chart_desc"], label, evaluated), xs, series)
	return nil
}

func fmtRate(v float64) string {
	if v < 0 {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// compare compares a candidate with the live version for the page.
func (s *Server) compare(ctx context.Context, id int, t map[string]string) *compareView {
	c, err := evals.CompareIndexes(ctx, s.cfg.Console.Store, id)
	return s.compareView(c, err, t)
}

func (s *Server) compareView(c evals.Comparison, err error, t map[string]string) *compareView {
	v := &compareView{Comparison: c, Passed: err == nil && c.Passed()}
	switch {
	case errors.Is(err, evals.ErrNoEval):
		v.Problem = t["console_index_not_evaluated"]
		return v
	case err != nil:
		s.log.Error("console: compare index versions", "index", c.Candidate.ID, "err", err)
		v.Problem = t["console_failed"]
		return v
	case c.Problem != "":
		v.Problem = t["console_index_not_comparable"]
	}
	for _, m := range indexMetrics {
		v.Head = append(v.Head, t[m.key])
	}
	worse := map[string]bool{}
	for _, r := range c.Regressions {
		worse[r.Group+"/"+r.Metric] = true
	}
	for _, g := range append(slices.Clone(c.Languages), c.Overall) {
		group := "language " + g.Group
		label := g.Group
		if g.Group == "all" {
			group, label = "overall", t["console_all_languages"]
		}
		row := compareRow{Group: label, Cases: g.Candidate.Cases}
		for _, m := range indexMetrics {
			cell := compareCell{Candidate: fmtRate(m.of(g.Candidate)), Worse: worse[group+"/"+m.name], Live: "–", Delta: "–"}
			if c.Live.ID != 0 && g.Live.Cases > 0 {
				cell.Live = fmtRate(m.of(g.Live))
				cell.Delta = fmt.Sprintf("%+.2f", m.of(g.Candidate)-m.of(g.Live))
			}
			row.Cells = append(row.Cells, cell)
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

func (s *Server) consoleIndex(w http.ResponseWriter, r *http.Request, u auth.User) {
	v := s.consoleView(w, r, "console_index_title")
	p, err := s.indexPageData(r.Context(), r, u, v.T)
	if err != nil {
		s.internalError(w, r, "index versions", err)
		return
	}
	s.renderConsole(w, http.StatusOK, "console_index.html", v, "/console/index", p)
}

func (s *Server) apiIndex(w http.ResponseWriter, r *http.Request, u auth.User) {
	p, err := s.indexPageData(r.Context(), r, u, s.strings["en"])
	if err != nil {
		s.internalError(w, r, "index versions", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": p.Versions, "comparison": p.Compare, "jobs": p.Jobs,
		"can_rollback": p.CanRollback})
}

// queueIndexJob adds a job of the index page for u — a job of the same key already waiting or
// running is no error, it is the one the user asked for — has audit record the request with the
// job's id, and answers with the job's id and the confirmation flashKey.
func (s *Server) queueIndexJob(w http.ResponseWriter, r *http.Request, u auth.User, kind, key string, args any, flashKey string, audit func(job int64)) {
	data, err := json.Marshal(args)
	var id int64
	if err == nil {
		id, err = s.cfg.Console.Jobs.Enqueue(r.Context(), jobs.Job{Kind: kind, Key: key, Args: data, CreatedBy: actor(u), MaxAttempts: 1})
	}
	if err != nil && !errors.Is(err, jobs.ErrDuplicate) {
		s.internalError(w, r, "enqueue "+kind, err)
		return
	}
	audit(id)
	s.done(w, r, http.StatusAccepted, map[string]any{"job": id}, "/console/index", flashKey)
}

// indexVersion is version id, for an action on it; when there is none, or it cannot be read, it
// answers for the action and ok is false.
func (s *Server) indexVersion(w http.ResponseWriter, r *http.Request, id int) (v store.IndexVersion, ok bool) {
	v, err := s.cfg.Console.Store.IndexVersion(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		s.consoleError(w, r, http.StatusNotFound, "console_not_found")
		return v, false
	}
	if err != nil {
		s.internalError(w, r, "index version", err)
		return v, false
	}
	return v, true
}

func (s *Server) actBuildIndex(w http.ResponseWriter, r *http.Request, u auth.User) {
	note := strings.TrimSpace(r.PostFormValue("note"))
	s.queueIndexJob(w, r, u, ingest.KindIndexBuild, ingest.KindIndexBuild, ingest.BuildArgs{Note: note}, "console_done_build_queued",
		func(job int64) {
			s.record(r.Context(), u, "index.build", "job", strconv.FormatInt(job, 10), "", map[string]any{"note": note})
		})
}

func (s *Server) actEvaluateIndex(w http.ResponseWriter, r *http.Request, u auth.User) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	if _, ok := s.indexVersion(w, r, int(id)); !ok {
		return
	}
	s.queueIndexJob(w, r, u, evals.KindIndexEval, fmt.Sprintf("%s:%d", evals.KindIndexEval, id), evals.EvalArgs{Index: int(id)}, "console_done_eval_queued",
		func(job int64) {
			s.record(r.Context(), u, "index.evaluate", "index_version", strconv.FormatInt(id, 10), "", map[string]any{"job": job})
		})
}

// actPublishIndex publishes a version through the gate; only an admin may override a failed gate,
// and only with a reason.
func (s *Server) actPublishIndex(w http.ResponseWriter, r *http.Request, u auth.User) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	override := strings.TrimSpace(r.PostFormValue("override"))
	if override != "" && !u.IsAdmin() {
		s.consoleError(w, r, http.StatusForbidden, "console_override_admin_only")
		return
	}
	ver, ok := s.indexVersion(w, r, int(id))
	if !ok {
		return
	}
	if ver.State != store.IndexReady && ver.State != store.IndexRetired {
		s.consoleError(w, r, http.StatusConflict, "console_index_not_publishable")
		return
	}
	if err := s.refreshIndex(r.Context(), int(id)); err != nil {
		s.internalError(w, r, "refresh index before publishing", err)
		return
	}
	c, err := evals.PublishIndex(r.Context(), s.cfg.Console.Store, int(id), evals.PublishOptions{Actor: actor(u), Override: override})
	if err == nil { // the store recorded it in the audit log with the switch
		s.done(w, r, http.StatusOK, c, "/console/index", "console_done_published")
		return
	}
	key := "console_failed"
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.consoleError(w, r, http.StatusNotFound, "console_not_found")
		return
	case errors.Is(err, evals.ErrGateFailed):
		key = "console_index_gate_failed"
	case errors.Is(err, evals.ErrNoEval):
		key = "console_index_not_evaluated"
	case errors.Is(err, store.ErrLiveChanged):
		key = "console_index_live_changed"
	case errors.Is(err, store.ErrNotPublishable):
		key = "console_index_not_publishable"
	default:
		s.internalError(w, r, "publish index", err)
		return
	}
	if isAPI(r) {
		writeJSON(w, http.StatusConflict, map[string]any{"code": strings.TrimPrefix(key, "console_"),
			"message": s.strings["en"][key], "comparison": c})
		return
	}
	v := s.consoleView(w, r, "console_index_title")
	p, perr := s.indexPageData(r.Context(), r, u, v.T)
	if perr != nil {
		s.internalError(w, r, "index versions", perr)
		return
	}
	p.Compare = s.compareView(c, nil, v.T)
	p.Override = override
	v.Error = v.T[key]
	s.renderConsole(w, http.StatusConflict, "console_index.html", v, "/console/index", p)
}

func (s *Server) actRollback(w http.ResponseWriter, r *http.Request, u auth.User) {
	from, to, err := s.cfg.Console.Store.Rollback(r.Context(), actor(u))
	if errors.Is(err, store.ErrNoRollback) {
		s.consoleError(w, r, http.StatusConflict, "console_index_no_rollback")
		return
	}
	if err != nil {
		s.internalError(w, r, "roll back", err)
		return
	}
	// The store recorded the rollback in the audit log. The version now live may miss pages
	// crawled while it was not: chunk them again.
	if err := s.refreshIndex(r.Context(), to.ID); err != nil {
		s.internalError(w, r, "refresh index after rollback", err)
		return
	}
	s.done(w, r, http.StatusOK, map[string]any{"live": to.ID, "previous": from.ID}, "/console/index", "console_done_rolled_back")
}
