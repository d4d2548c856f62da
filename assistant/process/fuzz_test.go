package process

import (
	"os"
	"testing"
	"time"
)

// FuzzParse: any text a steward pastes is refused or accepted, never a panic, and what is accepted
// validates again.
func FuzzParse(f *testing.F) {
	data, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte("id: [\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse("fuzz.yaml", data)
		if err == nil {
			if err := d.Validate(); err != nil {
				t.Errorf("accepted, then refused: %v", err)
			}
		}
	})
}

// FuzzPropose: whatever a user writes, proposals are values their fields accept.
func FuzzPropose(f *testing.F) {
	cat, err := Embedded()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"Jag kom 3 mars 2026 till Göteborg med 2 barn, 19900101-1239",
		"وصلت في ١٠ آذار ٢٠٢٦ مع طفلين", "+46 70 123 45 67 a@b.se", "i i i i Ale Ale"} {
		f.Add(s)
	}
	now := time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, text string) {
		for _, def := range cat.List() {
			for _, p := range proposeAt(def, []string{text}, now) {
				field, _ := def.Field(p.Field)
				if v, err := field.checkAt(p.Value, now); err != nil || v != p.Value {
					t.Errorf("%s: proposed %q, which checks as %q, %v", p.Field, p.Value, v, err)
				}
			}
		}
	})
}
