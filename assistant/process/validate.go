package process

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

var (
	slugPattern      = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	fieldNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

var definitionKeys = []string{"id", "agency", "agency_name", "title", "summary", "sources", "topics",
	"eligibility", "fields", "documents", "steps", "eservice", "integration", "intent"}

// definition reads and checks the whole definition.
func (p *parser) definition(root *yaml.Node) Definition {
	m := p.mapping(root, "the definition", definitionKeys,
		[]string{"id", "agency", "title", "summary", "sources", "fields", "steps", "eservice", "integration", "intent"})
	var d Definition
	if n := m["id"]; n != nil {
		d.ID = p.str(n, "id")
		if d.ID != "" && (!slugPattern.MatchString(d.ID) || len(d.ID) > 64) {
			p.fail(n, "id %q must be a slug: lower-case letters, digits and single hyphens, at most 64 characters", d.ID)
		}
	}
	d.Agency = p.optStr(m["agency"], "agency")
	d.AgencyName = p.text(m["agency_name"], "agency_name")
	d.Title = p.text(m["title"], "title")
	d.Summary = p.text(m["summary"], "summary")
	sources := p.list(m["sources"], "sources")
	if len(sources) == 0 && m["sources"] != nil {
		p.fail(m["sources"], "sources is empty: name the agency pages the definition is based on")
	}
	for _, n := range sources {
		if u := p.str(n, "a source"); u != "" && p.httpsURL(n, u, "source") {
			d.Sources = append(d.Sources, u)
		}
	}
	for _, n := range p.list(m["topics"], "topics") {
		if t := p.str(n, "a topic"); t != "" {
			if !slugPattern.MatchString(t) {
				p.fail(n, "topic %q must be a demo corpus page slug such as personal-identity-number", t)
			}
			d.Topics = append(d.Topics, t)
		}
	}
	d.Eligibility = p.questions(m["eligibility"])
	d.Fields = p.fields(m["fields"])
	for i, n := range p.list(m["documents"], "documents") {
		d.Documents = append(d.Documents, p.text(n, fmt.Sprintf("document %d", i+1)))
	}
	steps := p.list(m["steps"], "steps")
	if len(steps) == 0 && m["steps"] != nil {
		p.fail(m["steps"], "steps is empty: say what the user does, in order")
	}
	for i, n := range steps {
		d.Steps = append(d.Steps, p.text(n, fmt.Sprintf("step %d", i+1)))
	}
	if n := m["eservice"]; n != nil {
		e := p.mapping(n, "eservice", []string{"url", "label"}, []string{"url", "label"})
		if u := p.optStr(e["url"], "eservice url"); u != "" && p.httpsURL(e["url"], u, "eservice url") {
			d.EService.URL = u
		}
		d.EService.Label = p.text(e["label"], "eservice label")
	}
	if n := m["integration"]; n != nil {
		in := p.mapping(n, "integration", []string{"kind"}, []string{"kind"})
		if k := p.optStr(in["kind"], "integration kind"); k != "" {
			if k != IntegrationLink {
				p.fail(in["kind"], "integration kind %q is not supported yet: use %q (the user continues in the agency's e-service)", k, IntegrationLink)
			}
			d.Integration.Kind = k
		}
	}
	if n := m["intent"]; n != nil {
		in := p.mapping(n, "intent", []string{"keywords", "examples"}, []string{"keywords", "examples"})
		if in["keywords"] != nil {
			d.Intent.Keywords = p.perLanguage(in["keywords"], "intent keywords")
		}
		if in["examples"] != nil {
			d.Intent.Examples = p.perLanguage(in["examples"], "intent examples")
		}
	}
	return d
}

// httpsURL checks that u is an absolute https URL with a host.
func (p *parser) httpsURL(n *yaml.Node, u, what string) bool {
	parsed, err := url.Parse(u)
	if err != nil || parsed.Scheme != "https" || parsed.Host == "" || parsed.User != nil {
		p.fail(n, "%s %q must be an https:// address of a page", what, u)
		return false
	}
	return true
}

func (p *parser) questions(n *yaml.Node) []Question {
	var out []Question
	seen := map[string]bool{}
	for i, qn := range p.list(n, "eligibility") {
		what := fmt.Sprintf("eligibility question %d", i+1)
		m := p.mapping(qn, what, []string{"id", "text", "eligible", "explanation"}, []string{"id", "text", "eligible", "explanation"})
		var q Question
		if idn := m["id"]; idn != nil {
			q.ID = p.str(idn, what+" id")
			if q.ID != "" && !slugPattern.MatchString(q.ID) {
				p.fail(idn, "eligibility question id %q must be a slug (lower-case letters, digits, hyphens)", q.ID)
			}
			if seen[q.ID] {
				p.fail(idn, "eligibility question id %q is used twice", q.ID)
			}
			seen[q.ID] = true
		}
		q.Text = p.text(m["text"], what+" text")
		if en := m["eligible"]; en != nil {
			// yes and no must be written as such: true/false or other words are refused, so nobody
			// has to guess which answer makes a person eligible.
			if en.Kind != yaml.ScalarNode || en.Tag != "!!str" || (en.Value != "yes" && en.Value != "no") {
				p.fail(en, "%s: eligible must be the answer yes or no, not %q", what, en.Value)
			} else {
				q.Eligible = en.Value
			}
		}
		q.Explanation = p.text(m["explanation"], what+" explanation")
		out = append(out, q)
	}
	return out
}

var fieldKeys = []string{"name", "type", "required", "sensitive", "prefill", "label", "help", "validation"}

func (p *parser) fields(n *yaml.Node) []Field {
	items := p.list(n, "fields")
	if len(items) == 0 && n != nil {
		p.fail(n, "fields is empty: a process has at least one field")
	}
	var out []Field
	seen := map[string]int{}
	for i, fn := range items {
		what := fmt.Sprintf("field %d", i+1)
		m := p.mapping(fn, what, fieldKeys, []string{"name", "type", "label"})
		var f Field
		if nn := m["name"]; nn != nil {
			f.Name = p.str(nn, what+" name")
			if f.Name != "" {
				what = "field " + f.Name
				if !fieldNamePattern.MatchString(f.Name) {
					p.fail(nn, "field name %q must be lower-case letters, digits and underscores, starting with a letter", f.Name)
				}
				if line, dup := seen[f.Name]; dup {
					p.fail(nn, "field name %q is used twice (first on line %d)", f.Name, line)
				} else {
					seen[f.Name] = nn.Line
				}
			}
		}
		if tn := m["type"]; tn != nil {
			if t := FieldType(p.str(tn, what+" type")); t != "" {
				if !containsType(t) {
					p.fail(tn, "%s: unknown type %q (use one of %s)", what, t, typeList())
				} else {
					f.Type = t
				}
			}
		}
		f.Required = p.boolean(m["required"], what+" required")
		f.Sensitive = p.boolean(m["sensitive"], what+" sensitive")
		if f.Type == TypeIdentityNumber && !f.Sensitive {
			p.fail(fn, "%s holds identity numbers and must say sensitive: true, so drafts keep it encrypted", what)
		}
		if pn := m["prefill"]; pn != nil {
			f.Prefill = p.str(pn, what+" prefill")
			switch {
			case f.Prefill == PrefillArrivalDate && f.Type == TypeDate, f.Prefill == PrefillChildren && f.Type == TypeInteger:
			case f.Prefill != "":
				p.fail(pn, "%s: prefill %q does not fit a %s field (use %s on a date field or %s on an integer field)",
					what, f.Prefill, f.Type, PrefillArrivalDate, PrefillChildren)
			}
		}
		f.Label = p.text(m["label"], what+" label")
		f.Help = p.text(m["help"], what+" help")
		if vn := m["validation"]; vn != nil {
			f.Validation = p.validation(vn, f, what)
		}
		if f.Type == TypeChoice && len(f.Validation.Options) == 0 {
			p.fail(fn, "%s is a choice and needs a non-empty validation options list", what)
		}
		out = append(out, f)
	}
	return out
}

func containsType(t FieldType) bool {
	for _, x := range FieldTypes {
		if x == t {
			return true
		}
	}
	return false
}

func typeList() string {
	s := make([]string, len(FieldTypes))
	for i, t := range FieldTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// validation reads a field's bounds, pattern and options, and checks that they fit its type.
func (p *parser) validation(n *yaml.Node, f Field, what string) Validation {
	m := p.mapping(n, what+" validation", []string{"min", "max", "pattern", "options"}, nil)
	var v Validation
	bounded := f.Type == TypeInteger || f.Type == TypeDate || f.Type == TypeText
	var lo, hi int64
	var haveLo, haveHi bool
	for _, key := range []string{"min", "max"} {
		bn := m[key]
		if bn == nil {
			continue
		}
		s := p.str(bn, what+" "+key)
		if s == "" {
			continue
		}
		if !bounded {
			p.fail(bn, "%s: %s does not apply to a %s field (only to integer, date and text)", what, key, f.Type)
			continue
		}
		val, err := boundValue(f.Type, s)
		if err != nil {
			p.fail(bn, "%s: %s %q %v", what, key, s, err)
			continue
		}
		if key == "min" {
			v.Min, lo, haveLo = s, val, s != "today"
		} else {
			v.Max, hi, haveHi = s, val, s != "today"
		}
	}
	if haveLo && haveHi && lo > hi {
		p.fail(m["min"], "%s: min %s is greater than max %s", what, v.Min, v.Max)
	}
	if pn := m["pattern"]; pn != nil {
		if s := p.str(pn, what+" pattern"); s != "" {
			if f.Type != TypeText {
				p.fail(pn, "%s: pattern applies only to text fields, not %s", what, f.Type)
			} else if _, err := regexp.Compile(s); err != nil {
				p.fail(pn, "%s: pattern does not compile: %v", what, err)
			} else {
				v.Pattern = s
			}
		}
	}
	if on := m["options"]; on != nil {
		if f.Type != TypeChoice {
			p.fail(on, "%s: options apply only to choice fields, not %s", what, f.Type)
		}
		items := p.list(on, what+" options")
		if len(items) == 0 && on.Kind == yaml.SequenceNode {
			p.fail(on, "%s: the options list is empty", what)
		}
		seen := map[string]bool{}
		for i, o := range items {
			ow := fmt.Sprintf("%s option %d", what, i+1)
			om := p.mapping(o, ow, []string{"value", "label"}, []string{"value", "label"})
			var opt Option
			if vn := om["value"]; vn != nil {
				opt.Value = p.str(vn, ow+" value")
				if seen[opt.Value] {
					p.fail(vn, "%s: option value %q is used twice", what, opt.Value)
				}
				seen[opt.Value] = true
			}
			opt.Label = p.text(om["label"], ow+" label")
			v.Options = append(v.Options, opt)
		}
	}
	return v
}

// boundValue reads a min or max: a whole number for integers and text lengths, a date (or "today")
// for dates. Dates compare as days since the epoch.
func boundValue(t FieldType, s string) (int64, error) {
	switch t {
	case TypeDate:
		if s == "today" {
			return 0, nil
		}
		d, err := parseISODate(s)
		if err != nil {
			return 0, fmt.Errorf("is not a date: write YYYY-MM-DD or today")
		}
		return d.Unix() / 86400, nil
	case TypeText:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("is not a length: write a whole number of characters")
		}
		return n, nil
	default:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("is not a whole number")
		}
		return n, nil
	}
}
