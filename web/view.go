package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/nyisverige/lots/web/auth"
)

// View is what a page outside the chat renders inside templates/layout.html: the own space,
// sign-in and the stewards' console. Data is the page's own content.
type View struct {
	Lang      string
	Dir       string
	T         map[string]string
	Languages []LanguageOption
	Title     string     // the page's title, already in Lang
	Section   string     // "space", "signin" or "console": marks the current item of the menu
	Path      string     // the page's path, for the language picker
	User      *auth.User // nil when nobody is signed in
	CSRFToken string     // every form posts it back as "csrf"
	Flash     string     // a confirmation to show once, already in Lang
	Error     string     // an error to show, already in Lang
	Data      any
}

// parseViews parses each templates/views/*.html together with the layout and its language picker.
func parseViews(fsys fs.FS) (map[string]*template.Template, error) {
	names, err := fs.Glob(fsys, "templates/views/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: list views: %w", err)
	}
	views := map[string]*template.Template{}
	for _, name := range names {
		t, err := template.New(path.Base(name)).Funcs(viewFuncs).ParseFS(fsys, "templates/layout.html", "templates/language.html", name)
		if err != nil {
			return nil, fmt.Errorf("web: parse view %s: %w", name, err)
		}
		views[path.Base(name)] = t
	}
	return views, nil
}

// viewFuncs are the helpers the views may use.
var viewFuncs = template.FuncMap{
	"dir": dir,
	// t looks a key up in the strings and fills %s/%d verbs, for sentences with a number in them.
	"t": func(strs map[string]string, key string, args ...any) string {
		s, ok := strs[key]
		if !ok {
			return key
		}
		if len(args) == 0 {
			return s
		}
		return fmt.Sprintf(s, args...)
	},
}

// view starts a View for the request: its language, the signed-in user and a CSRF token.
func (s *Server) view(w http.ResponseWriter, r *http.Request, section, titleKey string) View {
	lang := pageLanguage(r)
	v := View{Lang: lang, Dir: dir(lang), T: s.strings[lang], Section: section, Path: r.URL.Path, Languages: languageOptions(lang)}
	v.Title = v.T[titleKey]
	if u, ok := auth.UserFrom(r.Context()); ok {
		v.User = &u
	}
	v.CSRFToken = s.csrfCookie(w, r)
	return v
}

// renderView writes the named view (templates/views/<name>) inside the layout.
func (s *Server) renderView(w http.ResponseWriter, status int, name string, v View) {
	t, ok := s.views[name]
	if !ok {
		s.log.Error("render view: no such view", "view", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", v); err != nil {
		s.log.Error("render view", "view", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// stringsFiles lists a language's UI string files: i18n/<lang>.json (the chat) and
// i18n/<area>.<lang>.json (own space, sign-in, console…).
func stringsFiles(fsys fs.FS, lang string) ([]string, error) {
	areas, err := fs.Glob(fsys, "i18n/*."+lang+".json")
	if err != nil {
		return nil, err
	}
	return append([]string{"i18n/" + lang + ".json"}, areas...), nil
}

// blank reports whether s is empty after trimming spaces.
func blank(s string) bool { return strings.TrimSpace(s) == "" }
