package web

import (
	"github.com/nyisverige/lots/assistant"
)

// PageData is what templates/page.html renders: the chat page, and — without JavaScript — the
// answer to a question posted by the form.
type PageData struct {
	Lang      string            // the page's language, e.g. "ar"
	Dir       string            // "rtl" for ar and fa, else "ltr"
	T         map[string]string // the UI strings in Lang, every area's (i18n/*<Lang>.json)
	Languages []LanguageOption  // every supported language, for the picker
	// StringsJSON is the chat's strings (i18n/<Lang>.json) as JSON, for app.js (in the body's
	// data-strings attribute).
	StringsJSON string
	Path        string      // the page's path, for the language picker: "/"
	Question    string      // the question posted without JavaScript, if any
	Answer      *AnswerView // its answer, rendered server-side; nil when none
	Error       string      // a message for the user (already in Lang), e.g. rate limited
	CSRFToken   string      // hidden field of the no-JavaScript form
}

// LanguageOption is one entry of the language picker, named in its own language.
type LanguageOption struct {
	Code     string // "sv"
	Name     string // "Svenska"
	Dir      string
	Selected bool
}

// AnswerView is an answer as the page shows it.
type AnswerView struct {
	assistant.Answer
	Dir string // direction of the answer's language
}
