package ingest_test

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/nyisverige/lots/ingest"
)

// sides rebuilds the old and new text from a diff.
func sides(ops []ingest.DiffOp) (old, new string) {
	var o, n strings.Builder
	for _, op := range ops {
		switch op.Op {
		case ingest.OpEqual:
			o.WriteString(op.Text)
			n.WriteString(op.Text)
		case ingest.OpDelete:
			o.WriteString(op.Text)
		case ingest.OpInsert:
			n.WriteString(op.Text)
		}
	}
	return o.String(), n.String()
}

func TestDiff(t *testing.T) {
	type op = ingest.DiffOp
	eq, ins, del := ingest.OpEqual, ingest.OpInsert, ingest.OpDelete
	tests := []struct {
		name     string
		old, new string
		want     []op
	}{
		{"same", "a\nb", "a\nb", []op{{eq, "a\nb"}}},
		{"both empty", "", "", nil},
		{"new page", "", "Hej\nvärlden", []op{{ins, "Hej\nvärlden"}}},
		{"gone page", "Hej\nvärlden", "", []op{{del, "Hej\nvärlden"}}},
		{"added paragraph", "# T\n\nFörsta.\n\nTredje.", "# T\n\nFörsta.\n\nAndra.\n\nTredje.",
			[]op{{eq, "# T\n\nFörsta.\n\n"}, {ins, "Andra.\n\n"}, {eq, "Tredje."}}},
		{"removed paragraph", "# T\n\nFörsta.\n\nAndra.\n\nTredje.", "# T\n\nFörsta.\n\nTredje.",
			[]op{{eq, "# T\n\nFörsta.\n\n"}, {del, "Andra.\n\n"}, {eq, "Tredje."}}},
		{"changed words in a sentence", "# Pass\n\nTa med ditt pass till servicekontoret.\n\nSlut.",
			"# Pass\n\nTa med ditt pass och ett intyg till servicekontoret.\n\nSlut.",
			[]op{{eq, "# Pass\n\nTa med ditt pass "}, {ins, "och ett intyg "}, {eq, "till servicekontoret.\n\nSlut."}}},
		{"replaced word", "Avgiften är 400 kronor.", "Avgiften är 450 kronor.",
			[]op{{eq, "Avgiften är "}, {del, "400"}, {ins, "450"}, {eq, " kronor."}}},
		{"rewritten paragraph is shown whole", "Första stycket handlar om pass.\nSlut.", "Helt annan text om bankkonton här.\nSlut.",
			[]op{{del, "Första stycket handlar om pass.\n"}, {ins, "Helt annan text om bankkonton här.\n"}, {eq, "Slut."}}},
		{"right-to-left text", "يجب أن تحضر جواز السفر.", "يجب أن تحضر جواز السفر وشهادة.",
			[]op{{eq, "يجب أن تحضر جواز السفر"}, {ins, " وشهادة"}, {eq, "."}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ingest.Diff(tt.old, tt.new)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Diff:\n got %q\nwant %q", got, tt.want)
			}
			if o, n := sides(got); o != tt.old || n != tt.new {
				t.Errorf("the diff does not rebuild the texts: %q, %q", o, n)
			}
		})
	}
}

// Whatever the texts, the diff rebuilds both, and no two neighbouring runs share an operation.
func TestDiffRebuildsBothTexts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"ta", "med", "pass", "och", "intyg", ".", "\n", "\n\n", " ", "personnummer", "ج", "ü"}
	text := func() string {
		var b strings.Builder
		for range r.IntN(60) {
			b.WriteString(words[r.IntN(len(words))])
			if r.IntN(3) > 0 {
				b.WriteString(" ")
			}
		}
		return b.String()
	}
	for i := range 2000 {
		old, new := text(), text()
		if i%3 == 0 {
			new = old[:r.IntN(len(old)+1)] + text() + old[r.IntN(len(old)+1):]
		}
		ops := ingest.Diff(old, new)
		if o, n := sides(ops); o != old || n != new {
			t.Fatalf("Diff(%q, %q) = %q rebuilds %q, %q", old, new, ops, o, n)
		}
		for j := 1; j < len(ops); j++ {
			if ops[j].Op == ops[j-1].Op || ops[j].Text == "" {
				t.Fatalf("Diff(%q, %q) = %q: runs not coalesced", old, new, ops)
			}
		}
	}
}

func FuzzDiff(f *testing.F) {
	f.Add("Ta med ditt pass.\n\nSlut.", "Ta med ditt pass och intyg.\n\nSlut.")
	f.Fuzz(func(t *testing.T, old, new string) {
		if o, n := sides(ingest.Diff(old, new)); o != old || n != new {
			t.Fatalf("the diff does not rebuild the texts")
		}
	})
}

func BenchmarkDiffPage(b *testing.B) {
	var old strings.Builder
	for i := range 300 {
		old.WriteString("Du som ska bo i Sverige i minst ett år ska folkbokföras och får då ett personnummer.")
		if i%7 == 0 {
			old.WriteString(" Besök ett servicekontor.")
		}
		old.WriteString("\n\n")
	}
	new := strings.Replace(old.String(), "Besök ett servicekontor.", "Boka tid och besök ett servicekontor.", 10)
	for b.Loop() {
		ingest.Diff(old.String(), new)
	}
}
