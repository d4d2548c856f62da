package extract

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nyisverige/lots/ingest/extract/extracttest"
)

// TestPDF extracts text, title, language and date from generated PDFs.
func TestPDF(t *testing.T) {
	page1 := "BT /F1 12 Tf 72 720 Td (Du som har flyttat till Sverige beh\\366ver) Tj 0 -14 Td (folkbokf\\366ra dig hos Skatteverket.) Tj " +
		"0 -30 Td (N\\344r du \\344r folkbokf\\366rd f\\345r du ett personnummer.) Tj ET"
	page2 := "BT /F1 18 Tf 72 720 Td (Vad du ska ta med) Tj /F1 12 Tf 0 -40 Td [(Pass) -250 (och uppeh\\345llstillst\\345nd.)] TJ ET"
	tests := []struct {
		name string
		pdf  []byte
		want *Document
	}{
		{
			name: "info title and date",
			pdf:  extracttest.PDF("sv-SE", "/Title (Personnummer och folkbokf\\366ring) /ModDate (D:20260914083000+02'00')", page1, "", page2),
			want: &Document{
				URL: "https://skatteverket.example/broschyr.pdf", Canonical: "https://skatteverket.example/broschyr.pdf",
				Title: "Personnummer och folkbokföring", Language: "sv", DeclaredLanguage: "sv",
				Modified: time.Date(2026, 9, 14, 6, 30, 0, 0, time.UTC),
				Sections: []Section{
					{[]string{"Personnummer och folkbokföring"}, "Du som har flyttat till Sverige behöver folkbokföra dig hos Skatteverket.\n\nNär du är folkbokförd får du ett personnummer."},
					{[]string{"Personnummer och folkbokföring"}, "Vad du ska ta med\n\nPass och uppehållstillstånd."},
				},
			},
		},
		{
			name: "title from first line, no date, no lang",
			pdf:  extracttest.PDF("", "/Producer (test)", page1),
			want: &Document{
				URL: "https://skatteverket.example/broschyr.pdf", Canonical: "https://skatteverket.example/broschyr.pdf",
				Title: "Du som har flyttat till Sverige behöver folkbokföra dig hos Skatteverket.", Language: "sv",
				Sections: []Section{{[]string{"Du som har flyttat till Sverige behöver folkbokföra dig hos Skatteverket."},
					"Du som har flyttat till Sverige behöver folkbokföra dig hos Skatteverket.\n\nNär du är folkbokförd får du ett personnummer."}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PDF(tt.pdf, "https://skatteverket.example/broschyr.pdf")
			if err != nil {
				t.Fatalf("PDF: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("PDF\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestPDFBad checks that broken PDFs give errors, not panics.
func TestPDFBad(t *testing.T) {
	good := extracttest.PDF("sv", "/Title (x)", "BT /F1 12 Tf 72 720 Td (Hej och v\\344lkommen till Sverige) Tj ET")
	tests := []struct {
		name    string
		pdf     []byte
		wantErr error
	}{
		{"empty", nil, nil},
		{"not a pdf", []byte("<html>hello</html>"), nil},
		{"truncated", good[:len(good)/2], nil},
		{"no text layer", extracttest.PDF("sv", "", "0 0 m 100 100 l S"), ErrNoContent},
		{"no pages", extracttest.PDF("sv", ""), ErrNoContent},
		{"bad operators", extracttest.PDF("sv", "", "BT Tf Tj TJ Q Q Q ET"), nil},
		{"startxref points nowhere", append(bytes.Clone(good[:bytes.LastIndex(good, []byte("startxref"))]), "startxref\n5\n%%EOF\n"...), nil},
		{"xref garbage", bytes.Replace(good, []byte("00000 n"), []byte("xxxxx n"), 1), nil},
		{"too large", append(bytes.Clone(good), make([]byte, maxPDFBytes)...), ErrTooComplex},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := PDF(tt.pdf, "https://agency.example/x.pdf")
			if err == nil {
				t.Fatalf("PDF = %+v, want an error", doc)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("PDF: err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestPDFVersion2 checks that a PDF 2.0 header is accepted.
func TestPDFVersion2(t *testing.T) {
	pdf := extracttest.PDF("en", "/Title (Guide)", "BT /F1 12 Tf 72 720 Td (Welcome to Sweden, here is what you need to know.) Tj ET")
	copy(pdf, "%PDF-2.0")
	doc, err := PDF(pdf, "https://agency.example/guide.pdf")
	if err != nil {
		t.Fatalf("PDF: %v", err)
	}
	if doc.Title != "Guide" || doc.Language != "en" || len(doc.Sections) != 1 {
		t.Errorf("PDF = %+v", doc)
	}
}

// TestParsePDFDate checks the PDF date formats.
func TestParsePDFDate(t *testing.T) {
	tests := map[string]time.Time{
		"D:20260914083000+02'00'": time.Date(2026, 9, 14, 6, 30, 0, 0, time.UTC),
		"D:20260914083000-05'30":  time.Date(2026, 9, 14, 14, 0, 0, 0, time.UTC),
		"D:20260914083000Z":       time.Date(2026, 9, 14, 8, 30, 0, 0, time.UTC),
		"20260914":                time.Date(2026, 9, 14, 0, 0, 0, 0, time.UTC),
		"D:2026":                  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		"D:202613":                {},
		"D:20260":                 {},
		"":                        {},
		"yesterday":               {},
	}
	for in, want := range tests {
		if got := parsePDFDate(in); !got.Equal(want) {
			t.Errorf("parsePDFDate(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestFirstLine checks the title taken from a PDF's text.
func TestFirstLine(t *testing.T) {
	long := strings.Repeat("ord ", 100)
	tests := map[string]string{
		"Title\n\nBody":          "Title",
		"Only line":              "Only line",
		long:                     strings.TrimSpace(long[:maxTitleBytes]),
		strings.Repeat("å", 150): strings.Repeat("å", maxTitleBytes/2),
	}
	for in, want := range tests {
		if got := firstLine(in); got != want {
			t.Errorf("firstLine(%.20q…) = %q, want %q", in, got, want)
		}
	}
}
