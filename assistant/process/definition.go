// Package process is the catalog of processes a newcomer starts with a Swedish agency (notify moving
// to Sweden, register as a job seeker, apply for child allowance…): their declarative definitions
// (YAML in catalog/, one file per process, stored in PostgreSQL where stewards edit them), the
// detection of "I want to start X" in a question, and the fields a question already states, proposed
// for pre-fill and never stored here.
package process

import (
	"slices"

	"github.com/nyisverige/lots/retrieval"
)

// Languages are the languages every text of a definition must be written in.
var Languages = retrieval.Languages

// Text is one text in every supported language, keyed by language code.
type Text map[string]string

// In is the text in lang, or in English (then Swedish) when lang has none.
func (t Text) In(lang string) string {
	if s := t[lang]; s != "" {
		return s
	}
	if s := t["en"]; s != "" {
		return s
	}
	return t["sv"]
}

// FieldType is the kind of value a field holds; it decides how Field.Check reads a value.
type FieldType string

// The field types a definition may use.
const (
	TypeText           FieldType = "text"
	TypeDate           FieldType = "date"            // YYYY-MM-DD
	TypeInteger        FieldType = "integer"         // whole number
	TypeMunicipality   FieldType = "municipality"    // one of Sweden's 290 municipalities, by its name
	TypeIdentityNumber FieldType = "identity_number" // personnummer or samordningsnummer, YYYYMMDD-XXXX
	TypeEmail          FieldType = "email"
	TypePhone          FieldType = "phone" // +46… or another international number
	TypeChoice         FieldType = "choice"
	TypeBoolean        FieldType = "boolean" // yes or no
	TypeCountry        FieldType = "country" // ISO 3166-1 alpha-2 code
)

// FieldTypes lists every field type, in the order the catalog documentation gives them.
var FieldTypes = []FieldType{TypeText, TypeDate, TypeInteger, TypeMunicipality, TypeIdentityNumber,
	TypeEmail, TypePhone, TypeChoice, TypeBoolean, TypeCountry}

// Prefill kinds: what a user may already have said that fills a date or integer field. Fields of type
// municipality, identity_number, email and phone are pre-filled by their type alone.
const (
	PrefillArrivalDate = "arrival_date"
	PrefillChildren    = "children"
)

// Definition is one process as its catalog file declares it.
type Definition struct {
	ID          string      `json:"id" yaml:"id"`
	Agency      string      `json:"agency" yaml:"agency"`
	AgencyName  Text        `json:"agency_name,omitempty" yaml:"agency_name,omitempty"` // when Agency is not a proper name, e.g. "your municipality"
	Title       Text        `json:"title" yaml:"title"`
	Summary     Text        `json:"summary" yaml:"summary"`
	Sources     []string    `json:"sources" yaml:"sources"`                   // the agency pages (https) the definition is based on
	Topics      []string    `json:"topics,omitempty" yaml:"topics,omitempty"` // demo corpus topics (page slugs) it relates to
	Eligibility []Question  `json:"eligibility,omitempty" yaml:"eligibility,omitempty"`
	Fields      []Field     `json:"fields" yaml:"fields"`
	Documents   []Text      `json:"documents,omitempty" yaml:"documents,omitempty"` // what to bring
	Steps       []Text      `json:"steps" yaml:"steps"`
	EService    EService    `json:"eservice" yaml:"eservice"`
	Integration Integration `json:"integration" yaml:"integration"`
	Intent      Intent      `json:"intent" yaml:"intent"`
	YAML        string      `json:"yaml,omitempty" yaml:"-"` // the catalog text as written, comments included
}

// AgencyNameIn is the agency's name as a reader of lang sees it.
func (d Definition) AgencyNameIn(lang string) string {
	if s := d.AgencyName.In(lang); s != "" {
		return s
	}
	return d.Agency
}

// Field returns the field with the given name.
func (d Definition) Field(name string) (Field, bool) {
	i := slices.IndexFunc(d.Fields, func(f Field) bool { return f.Name == name })
	if i < 0 {
		return Field{}, false
	}
	return d.Fields[i], true
}

// Question is an eligibility question answered yes or no.
type Question struct {
	ID string `json:"id" yaml:"id"`
	// Text is the question as the user reads it.
	Text Text `json:"text" yaml:"text"`
	// Eligible is the answer ("yes" or "no") a person must give to be able to use the process.
	Eligible string `json:"eligible" yaml:"eligible"`
	// Explanation tells someone who gave the other answer why, and where to turn instead.
	Explanation Text `json:"explanation" yaml:"explanation"`
}

// IsEligible reports whether answer (yes or no) keeps the user eligible.
func (q Question) IsEligible(answer string) bool { return answer == q.Eligible }

// Field is one value the user fills in.
type Field struct {
	Name       string     `json:"name" yaml:"name"`
	Type       FieldType  `json:"type" yaml:"type"`
	Required   bool       `json:"required,omitempty" yaml:"required,omitempty"`
	Sensitive  bool       `json:"sensitive,omitempty" yaml:"sensitive,omitempty"` // sealed (encrypted) by the drafts store
	Prefill    string     `json:"prefill,omitempty" yaml:"prefill,omitempty"`     // arrival_date or children, for date and integer fields
	Label      Text       `json:"label" yaml:"label"`
	Help       Text       `json:"help,omitempty" yaml:"help,omitempty"`
	Validation Validation `json:"validation,omitzero" yaml:"validation,omitempty"`
}

// Validation narrows the values a field accepts.
type Validation struct {
	// Min and Max bound an integer (a number), a date (YYYY-MM-DD or "today") or the length of a text.
	Min     string   `json:"min,omitempty" yaml:"min,omitempty"`
	Max     string   `json:"max,omitempty" yaml:"max,omitempty"`
	Pattern string   `json:"pattern,omitempty" yaml:"pattern,omitempty"` // a Go regular expression a text must match in full
	Options []Option `json:"options,omitempty" yaml:"options,omitempty"` // the values of a choice
}

// Option is one value of a choice field.
type Option struct {
	Value string `json:"value" yaml:"value"`
	Label Text   `json:"label" yaml:"label"`
}

// EService is the agency's own e-service (or page) where the process is completed.
type EService struct {
	URL   string `json:"url" yaml:"url"`
	Label Text   `json:"label" yaml:"label"`
}

// Integration says how a prepared application reaches the agency. Only "link" (the user continues in
// the agency's e-service) exists today; an API integration becomes another kind.
type Integration struct {
	Kind string `json:"kind" yaml:"kind"`
}

// IntegrationLink is the only integration kind: the user continues in the agency's e-service.
const IntegrationLink = "link"

// Intent is what makes a question an offer to start the process: keywords and example wishes, per
// language.
type Intent struct {
	Keywords map[string][]string `json:"keywords" yaml:"keywords"`
	Examples map[string][]string `json:"examples" yaml:"examples"`
}
