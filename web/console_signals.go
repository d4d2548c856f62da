package web

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nyisverige/lots/evals"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/web/auth"
)

// signalsPage is what console_signals.html shows.
type signalsPage struct {
	Report     evals.SignalReport
	Language   string // the filter; "" for every language
	Weeks      int
	WeekLabels []string
	Languages  []string
	PerDay     template.HTML // the questions-per-day chart
	Query      string        // the filter as a query string, for the CSV links
}

// signalFilter reads the filter of the signals page: filter_language, weeks (1 to 26, default 8).
// A steward sees the answers that cited their agencies; an admin sees all.
func signalFilter(r *http.Request, u auth.User) (evals.SignalFilter, int) {
	q := r.URL.Query()
	weeks, err := strconv.Atoi(q.Get("weeks"))
	if err != nil || weeks < 1 || weeks > 26 {
		weeks = 8
	}
	f := evals.SignalFilter{Until: time.Now(), Agencies: u.Agencies()}
	f.Since = f.Until.AddDate(0, 0, -7*weeks+1)
	if l := q.Get("filter_language"); slices.Contains(retrieval.Languages, l) {
		f.Language = l
	}
	return f, weeks
}

func (s *Server) consoleSignals(w http.ResponseWriter, r *http.Request, u auth.User) {
	f, weeks := signalFilter(r, u)
	rep, err := s.cfg.Console.Signals.Report(r.Context(), f)
	if err != nil {
		s.internalError(w, r, "signals", err)
		return
	}
	v := s.consoleView(w, r, "console_signals_title")
	p := signalsPage{Report: rep, Language: f.Language, Weeks: weeks, Languages: retrieval.Languages,
		Query: fmt.Sprintf("filter_language=%s&weeks=%d", f.Language, weeks)}
	for _, wk := range rep.Weeks {
		p.WeekLabels = append(p.WeekLabels, wk.Format("01-02"))
	}
	var days []string
	var total, notCovered []int
	for _, d := range rep.PerDay {
		days = append(days, d.Day.Format("01-02"))
		total = append(total, d.Questions)
		notCovered = append(notCovered, d.NotCovered)
	}
	p.PerDay = barChart("chart-per-day", v.T["console_signals_per_day"],
		fmt.Sprintf(v.T["console_signals_per_day_desc"], rep.Questions, rep.NotCovered, len(rep.PerDay)), days, total, notCovered)
	s.renderConsole(w, http.StatusOK, "console_signals.html", v, "/console/signals", p)
}

// consoleSignalsCSV exports the grouped questions, or with ?what=feedback the rated answers.
func (s *Server) consoleSignalsCSV(w http.ResponseWriter, r *http.Request, u auth.User) {
	f, _ := signalFilter(r, u)
	rep, err := s.cfg.Console.Signals.Report(r.Context(), f)
	if err != nil {
		s.internalError(w, r, "signals", err)
		return
	}
	what := "questions"
	write := evals.WriteGroupsCSV
	if r.URL.Query().Get("what") == "feedback" {
		what, write = "feedback", evals.WriteFeedbackCSV
	}
	s.record(r.Context(), u, "signals.export", "signals", what, "", map[string]any{"language": f.Language, "since": f.Since.Format(time.DateOnly)})
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="lots-%s-%s.csv"`, what, time.Now().Format(time.DateOnly)))
	if err := write(w, rep); err != nil {
		s.log.ErrorContext(r.Context(), "console: signals CSV", "err", err)
	}
}

// apiSignals is the signals report as JSON.
func (s *Server) apiSignals(w http.ResponseWriter, r *http.Request, u auth.User) {
	f, _ := signalFilter(r, u)
	rep, err := s.cfg.Console.Signals.Report(r.Context(), f)
	if err != nil {
		s.internalError(w, r, "signals", err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// auditPage is what console_audit.html shows.
type auditPage struct {
	Entries []auth.Entry
	Action  string
}

// auditEntries are the entries u may read: an admin all of them, a steward their agencies'
// and the ones of no agency (index versions), but not reads of a person's data.
func (s *Server) auditEntries(r *http.Request, u auth.User) ([]auth.Entry, string, error) {
	action := strings.TrimSpace(r.URL.Query().Get("action"))
	f := auth.Filter{Action: action, Limit: 1000}
	if !u.IsAdmin() {
		f.Agencies = append(u.Agencies(), "")
	}
	entries, err := s.cfg.Console.Audit.List(r.Context(), f)
	if err != nil {
		return nil, action, err
	}
	if !u.IsAdmin() {
		entries = slices.DeleteFunc(entries, func(e auth.Entry) bool { return e.OwnerID != "" })
	}
	return entries, action, nil
}

func (s *Server) consoleAudit(w http.ResponseWriter, r *http.Request, u auth.User) {
	entries, action, err := s.auditEntries(r, u)
	if err != nil {
		s.internalError(w, r, "audit log", err)
		return
	}
	v := s.consoleView(w, r, "console_audit_title")
	s.renderConsole(w, http.StatusOK, "console_audit.html", v, "/console/audit", auditPage{Entries: entries, Action: action})
}

func (s *Server) consoleAuditCSV(w http.ResponseWriter, r *http.Request, u auth.User) {
	entries, _, err := s.auditEntries(r, u)
	if err != nil {
		s.internalError(w, r, "audit log", err)
		return
	}
	s.record(r.Context(), u, "audit.export", "audit", "", "", map[string]any{"entries": len(entries)})
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="lots-audit-%s.csv"`, time.Now().Format(time.DateOnly)))
	if err := auth.WriteCSV(w, entries); err != nil {
		s.log.ErrorContext(r.Context(), "console: audit CSV", "err", err)
	}
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request, u auth.User) {
	entries, _, err := s.auditEntries(r, u)
	if err != nil {
		s.internalError(w, r, "audit log", err)
		return
	}
	writeJSON(w, http.StatusOK, entries)
}
