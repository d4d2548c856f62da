package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/nyisverige/lots/evals"
	"github.com/nyisverige/lots/ingest/jobs"
	"github.com/nyisverige/lots/retrieval/store"
	"github.com/nyisverige/lots/web/auth"
)

// overviewPage is what console_overview.html shows: what needs a steward's attention.
type overviewPage struct {
	Sources    int
	ByStatus   map[string]int
	Crawling   []sourceView
	WithErrors []sourceView
	Pending    int // changes waiting for approval
	Live       *store.IndexVersion
	Ready      int // built versions not yet published
	Week       evals.SignalReport
	TopGaps    []evals.Group
	Jobs       []jobs.Job
	Running    bool
	Refresh    int
	Agencies   string // the agencies the steward manages, for the lead
}

func (s *Server) consoleOverview(w http.ResponseWriter, r *http.Request, u auth.User) {
	ctx := r.Context()
	srcs, err := s.visibleSources(ctx, u)
	if err != nil {
		s.internalError(w, r, "sources", err)
		return
	}
	p := overviewPage{Sources: len(srcs), ByStatus: map[string]int{}, Refresh: int(s.cfg.Console.Refresh / time.Second),
		Agencies: strings.Join(u.Agencies(), ", ")}
	for _, src := range srcs {
		p.ByStatus[src.Status]++
		p.Pending += src.PendingChanges
		if src.Crawling {
			p.Crawling = append(p.Crawling, src)
		}
		if src.Errors > 0 && src.Status != store.StatusRetired {
			p.WithErrors = append(p.WithErrors, src)
		}
	}
	versions, err := s.cfg.Console.Store.IndexVersions(ctx)
	if err != nil {
		s.internalError(w, r, "index versions", err)
		return
	}
	for i, v := range versions {
		switch v.State {
		case store.IndexLive:
			p.Live = &versions[i]
		case store.IndexReady:
			p.Ready++
		}
	}
	now := time.Now()
	p.Week, err = s.cfg.Console.Signals.Report(ctx, evals.SignalFilter{Since: now.AddDate(0, 0, -7), Until: now, Agencies: u.Agencies()})
	if err != nil {
		s.internalError(w, r, "signals", err)
		return
	}
	p.TopGaps = p.Week.Groups[:min(5, len(p.Week.Groups))]
	if p.Jobs, err = s.cfg.Console.Jobs.List(ctx, jobs.Filter{Kinds: indexJobKinds, States: []string{jobs.StateQueued, jobs.StateRunning}}); err != nil {
		s.internalError(w, r, "jobs", err)
		return
	}
	p.Running = len(p.Crawling) > 0 || len(p.Jobs) > 0
	v := s.consoleView(w, r, "console_overview_title")
	s.renderConsole(w, http.StatusOK, "console_overview.html", v, "/console", p)
}
