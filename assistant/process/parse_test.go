package process

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

func minimal(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestParseMinimal(t *testing.T) {
	d, err := Parse("minimal.yaml", []byte(minimal(t)))
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "minimal" || len(d.Fields) != 4 || d.Fields[0].Prefill != PrefillArrivalDate || d.Eligibility[0].Eligible != "yes" {
		t.Errorf("parsed %+v", d)
	}
	if err := d.Validate(); err != nil {
		t.Errorf("Validate of a parsed definition: %v", err)
	}
}

// TestParseRefusesBrokenDefinitions breaks the minimal definition one way at a time; each must be
// refused with the line of the mistake and a reason a steward understands.
func TestParseRefusesBrokenDefinitions(t *testing.T) {
	cases := []struct {
		name, old, new string
		line           int
		reason         string
	}{
		{"unknown key", "agency: Skatteverket", "agency: Skatteverket\ncolour: blue", 3, `unknown key "colour"`},
		{"missing language", "summary: {sv: S, en: S, ar: S, fa: S, so: S, ti: S, uk: S}", "summary: {sv: S, en: S, ar: S, fa: S, so: S, uk: S}", 4, "summary is missing the language(s) ti"},
		{"unknown language", "title: {sv: T,", "title: {de: T, sv: T,", 3, `unknown key "de" in title`},
		{"bad field type", "type: integer", "type: number", 22, `unknown type "number"`},
		{"duplicate field name", "name: code", "name: reason", 35, `field name "reason" is used twice (first on line 28)`},
		{"empty option list", "      options:\n        - value: work\n          label: {sv: W, en: W, ar: W, fa: W, so: W, ti: W, uk: W}", "      options: []", 32, "the options list is empty"},
		{"http url", "url: https://www.skatteverket.se/flyttatillsverige", "url: http://www.skatteverket.se/flyttatillsverige", 43, "must be an https:// address"},
		{"bad source url", "  - https://www.skatteverket.se/flyttatillsverige\neligibility", "  - skatteverket.se\neligibility", 6, `source "skatteverket.se" must be an https:// address`},
		{"pattern does not compile", `pattern: "[A-Z]{3}"`, `pattern: "[A-Z"`, 39, "pattern does not compile"},
		{"min greater than max", `min: "0"`, `min: "30"`, 26, "min 30 is greater than max 20"},
		{"eligible not yes or no", `eligible: "yes"`, `eligible: true`, 10, "eligible must be the answer yes or no"},
		{"unsupported integration", "kind: link", "kind: api", 46, `integration kind "api" is not supported`},
		{"bad date bound", `min: "2000-01-01"`, `min: "01/01/2000"`, 19, "is not a date"},
		{"missing required key", "steps:\n  - {sv: S, en: S, ar: S, fa: S, so: S, ti: S, uk: S}\n", "", 1, "the definition has no steps"},
		{"bad id", "id: minimal", "id: Minimal Process", 1, "must be a slug"},
		{"prefill on wrong type", "prefill: children", "prefill: arrival_date", 23, `prefill "arrival_date" does not fit a integer field`},
		{"identity number not sensitive", "name: code\n    type: text", "name: code\n    type: identity_number", 35, "must say sensitive: true"},
		{"not yaml", "agency: Skatteverket", "agency: Skatteverket\n\tbroken: tab", 2, "not valid YAML"},
		{"intent examples empty", "examples: {sv: [e],", "examples: {sv: [],", 49, "intent examples in sv is an empty list"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := minimal(t)
			if !strings.Contains(src, c.old) {
				t.Fatalf("minimal.yaml has no %q", c.old)
			}
			_, err := Parse("broken.yaml", []byte(strings.Replace(src, c.old, c.new, 1)))
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse accepted it (err %v)", err)
			}
			var inv *InvalidError
			errors.As(err, &inv)
			for _, p := range inv.Problems {
				if p.File == "broken.yaml" && p.Line == c.line && strings.Contains(p.Reason, c.reason) {
					return
				}
			}
			t.Errorf("want broken.yaml:%d: …%s…, got:\n%v", c.line, c.reason, err)
		})
	}
}

func TestLoadDirRefusesDuplicateIDs(t *testing.T) {
	src := minimal(t)
	fsys := fstest.MapFS{
		"cat/minimal.yaml": {Data: []byte(src)},
		"cat/other.yaml":   {Data: []byte(src)},
		"cat/README.md":    {Data: []byte("not a definition")},
	}
	_, err := LoadDir(fsys, "cat")
	if err == nil {
		t.Fatal("LoadDir accepted two files with one id")
	}
	for _, want := range []string{
		`cat/other.yaml:1: id "minimal" differs from the file name`,
		`cat/other.yaml:1: process id "minimal" is already defined at cat/minimal.yaml:1`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestValidateCodeBuiltDefinition(t *testing.T) {
	d, err := Parse("", []byte(minimal(t)))
	if err != nil {
		t.Fatal(err)
	}
	d.Fields[1].Type = "number"
	d.Title = Text{"sv": "T"}
	err = d.Validate()
	if err == nil || !strings.Contains(err.Error(), `unknown type "number"`) || !strings.Contains(err.Error(), "title is missing the language(s) en, ar, fa, so, ti, uk") {
		t.Errorf("Validate = %v", err)
	}
}
