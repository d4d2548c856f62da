package web

// The process catalog in the console: a steward reads and edits the YAML definitions of their
// agencies' processes (an admin any). An invalid definition is refused with each problem's line
// and reason and the text kept; a saved one is used by the own space at once, without a restart.

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/nyisverige/lots/assistant/process"
	"github.com/nyisverige/lots/web/auth"
)

// processRow is a line of console_processes.html.
type processRow struct {
	ID, Agency, Title, UpdatedBy string
	UpdatedAt                    time.Time
}

// processPage is what console_processes_edit.html shows: one definition's text, and after a
// refused save why it was refused.
type processPage struct {
	ID, Agency, UpdatedBy string
	UpdatedAt             time.Time
	YAML                  string
	Base                  string // when the text the form started from was saved; see actEditProcess
	Refusal               string // why the save was refused, in the page's language
	Problems              []problemView
}

// problemView is one problem of a refused definition.
type problemView struct {
	Text string // "line N: reason", as the validator says it (in English)
	Code string // the text of that line, to find it
}

// processJSON is a process as the console's API gives it.
type processJSON struct {
	ID        string       `json:"id"`
	Agency    string       `json:"agency"`
	Title     process.Text `json:"title"`
	UpdatedBy string       `json:"updated_by"`
	UpdatedAt time.Time    `json:"updated_at"`
	YAML      string       `json:"yaml,omitempty"`
}

func newProcessJSON(st process.Stored, withYAML bool) processJSON {
	p := processJSON{ID: st.ID, Agency: st.Agency, Title: st.Title, UpdatedBy: st.UpdatedBy, UpdatedAt: st.UpdatedAt}
	if withYAML {
		p.YAML = st.YAML
	}
	return p
}

// visibleProcesses lists the processes u stewards (an admin all), by id; without a catalog in
// the console it answers 404.
func (s *Server) visibleProcesses(w http.ResponseWriter, r *http.Request, u auth.User) ([]process.Stored, bool) {
	if s.cfg.Console.Processes == nil {
		s.consoleError(w, r, http.StatusNotFound, "console_not_found")
		return nil, false
	}
	all, err := s.cfg.Console.Processes.List(r.Context())
	if err != nil {
		s.internalError(w, r, "processes", err)
		return nil, false
	}
	var out []process.Stored
	for _, st := range all {
		if u.CanSteward(st.Agency) {
			out = append(out, st)
		}
	}
	return out, true
}

func (s *Server) consoleProcesses(w http.ResponseWriter, r *http.Request, u auth.User) {
	list, ok := s.visibleProcesses(w, r, u)
	if !ok {
		return
	}
	v := s.consoleView(w, r, "console_processes_title")
	rows := make([]processRow, len(list))
	for i, st := range list {
		rows[i] = processRow{ID: st.ID, Agency: st.Agency, Title: st.Title.In(v.Lang), UpdatedBy: st.UpdatedBy, UpdatedAt: st.UpdatedAt}
	}
	s.renderConsole(w, http.StatusOK, "console_processes.html", v, "/console/processes", rows)
}

func (s *Server) apiProcesses(w http.ResponseWriter, r *http.Request, u auth.User) {
	list, ok := s.visibleProcesses(w, r, u)
	if !ok {
		return
	}
	out := make([]processJSON, len(list))
	for i, st := range list {
		out[i] = newProcessJSON(st, false)
	}
	writeJSON(w, http.StatusOK, out)
}

// storedProcess is the process the path names: 404 when there is none, 403 when u does not
// steward its agency.
func (s *Server) storedProcess(w http.ResponseWriter, r *http.Request, u auth.User) (process.Stored, bool) {
	if s.cfg.Console.Processes == nil {
		s.consoleError(w, r, http.StatusNotFound, "console_not_found")
		return process.Stored{}, false
	}
	st, err := s.cfg.Console.Processes.Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, process.ErrNotFound) {
		s.consoleError(w, r, http.StatusNotFound, "console_not_found")
		return process.Stored{}, false
	}
	if err != nil {
		s.internalError(w, r, "process", err)
		return process.Stored{}, false
	}
	return st, s.forAgency(w, r, u, st.Agency)
}

func (s *Server) consoleProcess(w http.ResponseWriter, r *http.Request, u auth.User) {
	st, ok := s.storedProcess(w, r, u)
	if !ok {
		return
	}
	s.renderProcess(w, r, http.StatusOK, st, st.YAML, "", nil)
}

func (s *Server) apiProcess(w http.ResponseWriter, r *http.Request, u auth.User) {
	if st, ok := s.storedProcess(w, r, u); ok {
		writeJSON(w, http.StatusOK, newProcessJSON(st, true))
	}
}

// renderProcess shows the editor of st holding text; refusalKey and problems say why a save
// was refused.
func (s *Server) renderProcess(w http.ResponseWriter, r *http.Request, status int, st process.Stored, text, refusalKey string, problems []process.Problem) {
	v := s.consoleView(w, r, "console_processes_title")
	v.Title = st.Title.In(v.Lang)
	p := processPage{ID: st.ID, Agency: st.Agency, UpdatedBy: st.UpdatedBy, UpdatedAt: st.UpdatedAt, YAML: text,
		Base: stamp(st.UpdatedAt)}
	if refusalKey != "" {
		p.Refusal = v.T[refusalKey]
	}
	lines := strings.Split(text, "\n")
	for _, pr := range problems {
		pv := problemView{Text: pr.String()}
		if pr.Line >= 1 && pr.Line <= len(lines) {
			pv.Code = strings.TrimRight(lines[pr.Line-1], " \t")
		}
		p.Problems = append(p.Problems, pv)
	}
	s.renderConsole(w, status, "console_processes_edit.html", v, "/console/processes", p)
}

// stamp is when a definition was saved, as the editor's form carries it.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// actEditProcess saves a steward's edit of a definition. The text must be a valid definition
// of the same process whose agency the steward stewards too; otherwise nothing changes and the
// editor comes back with the text and each problem's line. A form opened on a version someone
// else has replaced since is refused once (409), so that no edit is overwritten unseen.
func (s *Server) actEditProcess(w http.ResponseWriter, r *http.Request, u auth.User) {
	st, ok := s.storedProcess(w, r, u)
	if !ok {
		return
	}
	// A browser sends a textarea's lines ending in CR LF.
	text := strings.ReplaceAll(r.PostFormValue("yaml"), "\r\n", "\n")
	refuse := func(status int, key string, problems []process.Problem) {
		if isAPI(r) {
			if problems == nil {
				problems = []process.Problem{}
			}
			writeJSON(w, status, map[string]any{"code": strings.TrimPrefix(key, "console_"),
				"message": s.strings["en"][key], "problems": problems})
			return
		}
		s.renderProcess(w, r, status, st, text, key, problems)
	}
	if base := r.PostFormValue("base"); base != "" && base != stamp(st.UpdatedAt) {
		refuse(http.StatusConflict, "console_process_changed_meanwhile", nil)
		return
	}
	def, err := process.Parse("", []byte(text))
	var invalid *process.InvalidError
	switch {
	case errors.As(err, &invalid):
		refuse(http.StatusBadRequest, "console_process_invalid", invalid.Problems)
		return
	case err != nil:
		s.internalError(w, r, "parse process", err)
		return
	case def.ID != st.ID:
		refuse(http.StatusBadRequest, "console_process_invalid", []process.Problem{{Line: keyLine(text, "id"),
			Reason: fmt.Sprintf("id %q differs from the process edited here (%q): a definition keeps its id", def.ID, st.ID)}})
		return
	case !u.CanSteward(def.Agency):
		refuse(http.StatusForbidden, "console_process_not_your_agency", []process.Problem{{Line: keyLine(text, "agency"),
			Reason: fmt.Sprintf("agency %q is not one you steward", def.Agency)}})
		return
	}
	ctx := r.Context()
	if _, err := s.cfg.Console.Processes.Put(ctx, []byte(text), actor(u)); err != nil {
		s.internalError(w, r, "save process", err)
		return
	}
	if err := s.reloadCatalog(ctx, s.cfg.Console.Processes.Catalog); err != nil {
		// Saved all the same; a restart uses it.
		s.log.ErrorContext(ctx, "console: the own space keeps the process catalog it had", "err", err)
	}
	detail := map[string]any{}
	if def.Agency != st.Agency {
		detail["agency_before"] = st.Agency
	}
	s.record(ctx, u, "process.edit", "process", def.ID, def.Agency, detail)
	saved, err := s.cfg.Console.Processes.Get(ctx, def.ID)
	if err != nil {
		s.internalError(w, r, "process", err)
		return
	}
	s.done(w, r, http.StatusOK, newProcessJSON(saved, false), "/console/processes/"+def.ID, "console_done_process_saved")
}

// keyLine is the line (from 1) where the definition's top-level key is written; 1 when it is
// not found.
func keyLine(text, key string) int {
	for i, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, key+":") {
			return i + 1
		}
	}
	return 1
}
