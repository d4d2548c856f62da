package process

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ErrInvalid is what every refused definition's error matches (errors.Is); errors.As with
// *InvalidError gives the problems.
var ErrInvalid = errors.New("invalid process definition")

// Problem is one thing wrong in a definition: the file, the line, and why.
type Problem struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// String is "file:line: reason", the form editors and compilers use.
func (p Problem) String() string {
	if p.File == "" {
		return fmt.Sprintf("line %d: %s", p.Line, p.Reason)
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Reason)
}

// InvalidError lists every problem found in one or more definitions.
type InvalidError struct {
	Problems []Problem
}

// Error lists the problems, one a line.
func (e *InvalidError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// Parse reads one definition in the catalog's YAML format and validates it. name is the file name
// used in problems ("" for text that has none). The error is an *InvalidError naming every problem
// with its line.
func Parse(name string, data []byte) (Definition, error) {
	d, _, problems := parse(name, data)
	if len(problems) > 0 {
		return Definition{}, &InvalidError{Problems: problems}
	}
	return d, nil
}

// Validate checks a definition built in code (or read back from the store) by the same rules as
// Parse; lines in its problems count in the definition written out as YAML.
func (d Definition) Validate() error {
	data, err := yaml.Marshal(d)
	if err != nil {
		return fmt.Errorf("validate %s: %w", d.ID, err)
	}
	_, err = Parse("definition "+d.ID, data)
	return err
}

// maxDefinitionSize bounds what a steward can paste; the largest shipped definition is about 20 kB.
const maxDefinitionSize = 1 << 20

// maxProblems bounds the list of problems: past it, the first ones are what a person fixes.
const maxProblems = 100

var yamlLine = regexp.MustCompile(`line (\d+)`)

// parse returns the definition, the line of its id, and the problems.
func parse(name string, data []byte) (Definition, int, []Problem) {
	if len(data) > maxDefinitionSize {
		return Definition{}, 0, []Problem{{File: name, Line: 1, Reason: "the definition is larger than 1 MB"}}
	}
	p := &parser{file: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 1
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		reason := strings.TrimPrefix(err.Error(), "yaml: ")
		reason = strings.TrimPrefix(reason, "line "+strconv.Itoa(line)+": ")
		return Definition{}, 0, []Problem{{File: name, Line: line, Reason: "not valid YAML: " + reason}}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return Definition{}, 0, []Problem{{File: name, Line: 1, Reason: "the definition is empty"}}
	}
	d := p.definition(doc.Content[0])
	d.YAML = string(data)
	idLine := 0
	if n := findKey(doc.Content[0], "id"); n != nil {
		idLine = n.Line
	}
	return d, idLine, p.problems
}

// parser walks a definition's YAML nodes and collects every problem with its line.
type parser struct {
	file     string
	problems []Problem
}

func (p *parser) fail(n *yaml.Node, format string, args ...any) {
	if len(p.problems) >= maxProblems {
		return
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	p.problems = append(p.problems, Problem{File: p.file, Line: line, Reason: fmt.Sprintf(format, args...)})
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func findKey(n *yaml.Node, key string) *yaml.Node {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return resolve(n.Content[i+1])
		}
	}
	return nil
}

// mapping checks that n is a mapping with only allowed keys, each once, and the required ones; it
// returns the values by key.
func (p *parser) mapping(n *yaml.Node, what string, allowed, required []string) map[string]*yaml.Node {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		p.fail(n, "%s must be a mapping of keys to values", what)
		return map[string]*yaml.Node{}
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		switch {
		case !slices.Contains(allowed, k.Value):
			p.fail(k, "unknown key %q in %s (allowed: %s)", k.Value, what, strings.Join(allowed, ", "))
		case out[k.Value] != nil:
			p.fail(k, "key %q appears twice in %s", k.Value, what)
		default:
			out[k.Value] = v
		}
	}
	for _, r := range required {
		if out[r] == nil {
			p.fail(n, "%s has no %s", what, r)
		}
	}
	return out
}

// str reads a non-empty scalar.
func (p *parser) str(n *yaml.Node, what string) string {
	if n == nil {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		p.fail(n, "%s must be a single value, not a list or mapping", what)
		return ""
	}
	if n.Tag == "!!null" || strings.TrimSpace(n.Value) == "" {
		p.fail(n, "%s is empty", what)
		return ""
	}
	return strings.TrimSpace(n.Value)
}

// optStr reads a scalar that may be absent.
func (p *parser) optStr(n *yaml.Node, what string) string {
	if n == nil {
		return ""
	}
	return p.str(n, what)
}

func (p *parser) boolean(n *yaml.Node, what string) bool {
	if n == nil {
		return false
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		p.fail(n, "%s must be true or false", what)
		return false
	}
	b, _ := strconv.ParseBool(n.Value)
	return b
}

// list reads a sequence; nil n is an empty list.
func (p *parser) list(n *yaml.Node, what string) []*yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.fail(n, "%s must be a list", what)
		return nil
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = resolve(c)
	}
	return out
}

// text reads a text that must exist in every supported language.
func (p *parser) text(n *yaml.Node, what string) Text {
	if n == nil {
		return nil
	}
	m := p.mapping(n, what, Languages, nil)
	t := make(Text, len(m))
	var missing []string
	for _, lang := range Languages {
		v, ok := m[lang]
		if !ok {
			missing = append(missing, lang)
			continue
		}
		t[lang] = p.str(v, what+" in "+lang)
	}
	if len(missing) > 0 && resolve(n).Kind == yaml.MappingNode {
		p.fail(n, "%s is missing the language(s) %s: every text must be written in %s", what,
			strings.Join(missing, ", "), strings.Join(Languages, ", "))
	}
	return t
}

// perLanguage reads a mapping of language to a non-empty list of strings, for every language.
func (p *parser) perLanguage(n *yaml.Node, what string) map[string][]string {
	m := p.mapping(n, what, Languages, nil)
	out := make(map[string][]string, len(m))
	var missing []string
	for _, lang := range Languages {
		v, ok := m[lang]
		if !ok {
			missing = append(missing, lang)
			continue
		}
		items := p.list(v, what+" in "+lang)
		if len(items) == 0 && v.Kind == yaml.SequenceNode {
			p.fail(v, "%s in %s is an empty list", what, lang)
		}
		for _, item := range items {
			if s := p.str(item, what+" in "+lang); s != "" {
				out[lang] = append(out[lang], s)
			}
		}
	}
	if len(missing) > 0 && resolve(n).Kind == yaml.MappingNode {
		p.fail(n, "%s is missing the language(s) %s", what, strings.Join(missing, ", "))
	}
	return out
}
