package process

import (
	"testing"
)

func TestEmbeddedCatalog(t *testing.T) {
	c, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"child-allowance", "coordination-number", "id-card", "job-seeker", "parental-benefit",
		"personal-identity-number", "sfi", "study-support"}
	var got []string
	for _, d := range c.List() {
		got = append(got, d.ID)
	}
	if len(want) != len(got) {
		t.Errorf("catalog has %v, want %v", got, want)
	}
	for _, d := range c.List() {
		t.Run(d.ID, func(t *testing.T) {
			if err := d.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			for _, lang := range Languages {
				for what, text := range allTexts(d) {
					if text[lang] == "" {
						t.Errorf("%s has no %s text", what, lang)
					}
				}
				if len(d.Intent.Keywords[lang]) == 0 || len(d.Intent.Examples[lang]) == 0 {
					t.Errorf("intent has no keywords or examples in %s", lang)
				}
			}
		})
	}
}

// allTexts names every text of a definition.
func allTexts(d Definition) map[string]Text {
	out := map[string]Text{"title": d.Title, "summary": d.Summary, "eservice label": d.EService.Label}
	for i, q := range d.Eligibility {
		out["eligibility "+q.ID+" text"] = q.Text
		out["eligibility "+q.ID+" explanation"] = q.Explanation
		_ = i
	}
	for _, f := range d.Fields {
		out["field "+f.Name+" label"] = f.Label
		if f.Help != nil {
			out["field "+f.Name+" help"] = f.Help
		}
		for _, o := range f.Validation.Options {
			out["field "+f.Name+" option "+o.Value] = o.Label
		}
	}
	for i, doc := range d.Documents {
		out["document "+string(rune('1'+i))] = doc
	}
	for i, s := range d.Steps {
		out["step "+string(rune('1'+i))] = s
	}
	return out
}
