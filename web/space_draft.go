package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/nyisverige/lots/assistant/process"
	"github.com/nyisverige/lots/assistant/space"
	"github.com/nyisverige/lots/web/auth"
)

// draftView is a draft as its page and its summary show it, in the page's language.
type draftView struct {
	ID            string
	Status        string
	StatusLabel   string
	Title         string
	Agency        string
	Summary       string
	NextStep      string
	Fields        []fieldView
	Questions     []questionView
	Eligibility   string // "ok", "not" or "open": the outcome of the eligibility questions
	Documents     []documentView
	Steps         []string
	Sources       []string
	EServiceURL   string
	EServiceLabel string
	Updated       string
	HandedOff     string // the date it was handed off, if it was
	Errors        int    // fields whose value was refused
}

// fieldView is one field of the draft's form.
type fieldView struct {
	Name         string
	ID           string // the input's id
	Label        string
	Help         string
	Input        string // the input's type: text, date, email, tel; "select" or "radio" for choices
	InputMode    string
	Autocomplete string
	Value        string // as the user typed it (after a refused save) or as stored
	Shown        string // the value as the summary shows it (a country's or a choice's name)
	Error        string
	Required     bool
	Sensitive    bool
	Options      []optionView
}

type optionView struct {
	Value, Label string
	Selected     bool
}

type questionView struct {
	ID          string
	Text        string
	Answer      string // "yes", "no" or ""
	Eligible    bool   // the answer keeps the user eligible
	Explanation string // why not, and where to turn, when it does not
}

type documentView struct {
	ID   string // "d0", "d1"…: a document's place in the definition
	Text string
	Have bool
}

// definition returns the process a draft is for.
func (s *Server) definition(id string) (process.Definition, bool) {
	catalog, _ := s.processes()
	return catalog.Get(id)
}

// newDraftView builds the view of d; typed and errs, after a refused save, are what the user
// typed and why it was refused, by field name. form asks for the options of select lists (the
// draft's form), which a list or a summary does without.
func (s *Server) newDraftView(lang string, t map[string]string, def process.Definition, d space.Draft,
	typed, errs map[string]string, form bool) draftView {
	v := draftView{
		ID: d.ID, Status: d.Status, StatusLabel: t["space_status_"+d.Status],
		Title: def.Title.In(lang), Agency: def.AgencyNameIn(lang), Summary: def.Summary.In(lang),
		Sources: def.Sources, EServiceURL: def.EService.URL, EServiceLabel: def.EService.Label.In(lang),
		Updated: d.UpdatedAt.Format("2006-01-02"), Errors: len(errs),
	}
	if d.HandedOffAt != nil {
		v.HandedOff = d.HandedOffAt.Format("2006-01-02")
	}
	for _, f := range def.Fields {
		v.Fields = append(v.Fields, newFieldView(lang, t, f, d.Fields, typed, errs, form))
	}
	v.Eligibility = "ok"
	for _, q := range def.Eligibility {
		a := d.Eligibility[q.ID]
		qv := questionView{ID: q.ID, Text: q.Text.In(lang), Answer: a, Eligible: a != "" && q.IsEligible(a)}
		switch {
		case a == "":
			if v.Eligibility == "ok" {
				v.Eligibility = "open"
			}
		case !qv.Eligible:
			qv.Explanation = q.Explanation.In(lang)
			v.Eligibility = "not"
		}
		v.Questions = append(v.Questions, qv)
	}
	for i, doc := range def.Documents {
		id := "d" + strconv.Itoa(i)
		v.Documents = append(v.Documents, documentView{ID: id, Text: doc.In(lang), Have: d.Documents[id]})
	}
	for _, step := range def.Steps {
		v.Steps = append(v.Steps, step.In(lang))
	}
	v.NextStep = nextStep(t, v, def)
	return v
}

func newFieldView(lang string, t map[string]string, f process.Field, stored, typed, errs map[string]string, form bool) fieldView {
	fv := fieldView{Name: f.Name, ID: "field-" + f.Name, Label: f.Label.In(lang), Help: f.Help.In(lang),
		Required: f.Required, Sensitive: f.Sensitive, Value: stored[f.Name], Input: "text"}
	if v, ok := typed[f.Name]; ok {
		fv.Value = v
	}
	fv.Error = errs[f.Name]
	fv.Shown = fv.Value
	switch f.Type {
	case process.TypeDate:
		fv.Input = "date"
	case process.TypeInteger:
		fv.InputMode = "numeric"
	case process.TypeMunicipality:
		fv.Autocomplete = "address-level2"
	case process.TypeIdentityNumber:
		fv.InputMode, fv.Autocomplete = "numeric", "off"
	case process.TypeEmail:
		fv.Input, fv.Autocomplete = "email", "email"
	case process.TypePhone:
		fv.Input, fv.Autocomplete = "tel", "tel"
	case process.TypeBoolean:
		fv.Input = "radio"
		fv.Options = []optionView{{Value: "yes", Label: t["space_answer_yes"]}, {Value: "no", Label: t["space_answer_no"]}}
	case process.TypeChoice:
		fv.Input = "select"
		for _, o := range f.Validation.Options {
			fv.Options = append(fv.Options, optionView{Value: o.Value, Label: o.Label.In(lang)})
		}
	case process.TypeCountry:
		fv.Input, fv.Autocomplete = "select", "country"
		if fv.Value != "" {
			fv.Shown = process.CountryName(fv.Value, lang)
		}
		if !form {
			break // every country's name in every language: only the form needs them
		}
		for _, o := range process.Countries() {
			fv.Options = append(fv.Options, optionView{Value: o.Value, Label: o.Label.In(lang)})
		}
		coll := collate.New(language.Make(lang)) // in the reader's alphabetical order
		slices.SortFunc(fv.Options, func(a, b optionView) int { return coll.CompareString(a.Label, b.Label) })
	}
	for i := range fv.Options {
		fv.Options[i].Selected = fv.Options[i].Value == fv.Value
		if fv.Options[i].Selected {
			fv.Shown = fv.Options[i].Label
		}
	}
	return fv
}

// nextStep is what the user should do next with the draft.
func nextStep(t map[string]string, v draftView, def process.Definition) string {
	if v.Status == space.StatusHandedOff {
		return fmt.Sprintf(t["space_next_follow"], v.Agency, v.HandedOff)
	}
	var missing []string
	for _, f := range v.Fields {
		if f.Required && f.Value == "" {
			missing = append(missing, f.Label)
		}
	}
	switch {
	case v.Eligibility == "not":
		return t["space_next_not_eligible"]
	case v.Eligibility == "open":
		return t["space_next_eligibility"]
	case len(missing) > 0:
		return fmt.Sprintf(t["space_next_fill"], strings.Join(missing, ", "))
	case v.Status == space.StatusDraft:
		return t["space_next_mark_ready"]
	}
	return fmt.Sprintf(t["space_next_handoff"], v.EServiceLabel)
}

// loadDraft reads one of the user's drafts and its process; a missing one has answered 404.
func (s *Server) loadDraft(w http.ResponseWriter, r *http.Request, u auth.User) (space.Draft, process.Definition, bool) {
	d, err := s.cfg.Space.Store.Draft(r.Context(), u.ID, r.PathValue("id"))
	if err != nil {
		s.spaceFailed(w, r, "read draft", err)
		return d, process.Definition{}, false
	}
	def, ok := s.definition(d.ProcessID)
	if !ok {
		s.spaceFailed(w, r, "read draft", fmt.Errorf("draft %s: process %q is not in the catalog", d.ID, d.ProcessID))
		return d, def, false
	}
	return d, def, true
}

// spaceDraft is the draft's page: its fields, the eligibility questions, the documents to bring,
// the steps, the sources and the way on to the agency's e-service.
func (s *Server) spaceDraft(w http.ResponseWriter, r *http.Request, u auth.User) {
	d, def, ok := s.loadDraft(w, r, u)
	if !ok {
		return
	}
	s.audit(r.Context(), u, "draft.read", "draft", d.ID, def.Agency)
	v := s.view(w, r, "space", "space_title")
	dv := s.newDraftView(v.Lang, v.T, def, d, nil, nil, true)
	v.Title = dv.Title
	v.Flash = v.T[doneFlash[r.URL.Query().Get("done")]]
	v.Data = dv
	s.renderView(w, http.StatusOK, "space_draft.html", v)
}

// doneFlash maps the ?done= of a redirect after a change to the confirmation shown.
var doneFlash = map[string]string{
	"saved":       "space_draft_saved",
	"ready":       "space_draft_marked_ready",
	"created":     "space_draft_created",
	"deleted":     "space_draft_deleted",
	"conv_saved":  "space_conversation_saved",
	"conv_remove": "space_conversation_removed",
	"withdrawn":   "space_consent_withdrawn",
}

// spaceSaveDraft stores the draft's form: fields checked one by one (a refused value keeps the
// page with the user's input and a message by the field, and stores nothing), eligibility
// answers and the documents ticked. action=ready also marks it ready, when nothing required is
// missing.
func (s *Server) spaceSaveDraft(w http.ResponseWriter, r *http.Request, u auth.User) {
	d, def, ok := s.loadDraft(w, r, u)
	if !ok {
		return
	}
	lang := pageLanguage(r)
	up := space.Update{Fields: map[string]string{}, Eligibility: map[string]string{}, Documents: map[string]bool{}}
	typed, errs := map[string]string{}, map[string]string{}
	ready := r.PostFormValue("action") == "ready"
	for _, f := range def.Fields {
		raw := r.PostFormValue("f_" + f.Name)
		typed[f.Name] = raw
		check := f
		check.Required = f.Required && ready // a draft may be incomplete; a ready one may not
		v, err := check.Check(raw)
		var fe *process.FieldError
		switch {
		case errors.As(err, &fe):
			errs[f.Name] = fe.Message(lang)
		case err != nil:
			errs[f.Name] = err.Error()
		default:
			up.Fields[f.Name] = v
		}
		if f.Sensitive {
			up.Sensitive = append(up.Sensitive, f.Name)
		}
	}
	for _, q := range def.Eligibility {
		if a := r.PostFormValue("q_" + q.ID); a == "yes" || a == "no" {
			up.Eligibility[q.ID] = a
		}
	}
	for i := range def.Documents {
		id := "d" + strconv.Itoa(i)
		if r.PostFormValue("doc_"+id) != "" {
			up.Documents[id] = true
		}
	}
	if len(errs) > 0 {
		v := s.view(w, r, "space", "space_title")
		d.Eligibility, d.Documents = up.Eligibility, up.Documents
		dv := s.newDraftView(lang, v.T, def, d, typed, errs, true)
		v.Title, v.Data = dv.Title, dv
		v.Error = v.T["space_draft_has_errors"]
		s.renderView(w, http.StatusUnprocessableEntity, "space_draft.html", v)
		return
	}
	saved, err := s.cfg.Space.Store.UpdateDraft(r.Context(), u.ID, d.ID, up)
	if err != nil {
		s.spaceFailed(w, r, "save draft", err)
		return
	}
	done := "saved"
	if ready {
		if err := s.cfg.Space.Store.SetStatus(r.Context(), u.ID, saved.ID, space.StatusReady); err != nil {
			s.spaceFailed(w, r, "mark draft ready", err)
			return
		}
		done = "ready"
	}
	http.Redirect(w, r, draftURL(saved.ID, lang)+"&done="+done, http.StatusSeeOther)
}

func draftURL(id, lang string) string {
	return "/space/drafts/" + url.PathEscape(id) + "?lang=" + lang
}

// spaceHandOff marks the draft handed off and sends the user on to the agency's e-service.
func (s *Server) spaceHandOff(w http.ResponseWriter, r *http.Request, u auth.User) {
	d, def, ok := s.loadDraft(w, r, u)
	if !ok {
		return
	}
	if err := s.cfg.Space.Store.SetStatus(r.Context(), u.ID, d.ID, space.StatusHandedOff); err != nil {
		s.spaceFailed(w, r, "hand off draft", err)
		return
	}
	s.audit(r.Context(), u, "draft.handoff", "draft", d.ID, def.Agency)
	http.Redirect(w, r, def.EService.URL, http.StatusSeeOther)
}

// spaceDeleteDraft deletes one draft.
func (s *Server) spaceDeleteDraft(w http.ResponseWriter, r *http.Request, u auth.User) {
	if err := s.cfg.Space.Store.DeleteDraft(r.Context(), u.ID, r.PathValue("id")); err != nil {
		s.spaceFailed(w, r, "delete draft", err)
		return
	}
	http.Redirect(w, r, "/space?lang="+pageLanguage(r)+"&done=deleted", http.StatusSeeOther)
}

// spaceSummary is the prepared application as a printable page, or with ?download=1 as a
// self-contained HTML file to keep.
func (s *Server) spaceSummary(w http.ResponseWriter, r *http.Request, u auth.User) {
	d, def, ok := s.loadDraft(w, r, u)
	if !ok {
		return
	}
	s.audit(r.Context(), u, "draft.summary", "draft", d.ID, def.Agency)
	v := s.view(w, r, "space", "space_title")
	dv := s.newDraftView(v.Lang, v.T, def, d, nil, nil, false)
	v.Title = fmt.Sprintf(v.T["space_summary_title"], dv.Title)
	v.Data = dv
	if r.URL.Query().Get("download") == "" {
		s.renderView(w, http.StatusOK, "space_summary.html", v)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="lots-`+def.ID+`.html"`)
	s.renderTemplate(w, "space_summary.html", "summary-file", v)
}

// renderTemplate writes a template of a view other than its layout (a file to download).
func (s *Server) renderTemplate(w http.ResponseWriter, view, name string, v View) {
	var b strings.Builder
	if err := s.views[view].ExecuteTemplate(&b, name, v); err != nil {
		s.log.Error("render view", "view", view, "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(b.String()))
}
