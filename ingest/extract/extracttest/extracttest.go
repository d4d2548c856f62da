// Package extracttest builds documents for tests of extraction and crawling.
package extracttest

import (
	"bytes"
	"fmt"
	"strings"
)

// PDF builds a minimal valid PDF: a catalog with /Lang, one Helvetica font in WinAnsiEncoding,
// one page per content stream (e.g. "BT /F1 12 Tf 72 720 Td (Hello) Tj ET"), and an info
// dictionary given as its inner entries (e.g. "/Title (x)"). The xref offsets are computed, so
// a reader takes the file as well-formed.
func PDF(lang, info string, contents ...string) []byte {
	var objs []string
	kids := make([]string, len(contents))
	for i := range contents {
		kids[i] = fmt.Sprintf("%d 0 R", 4+2*i)
	}
	objs = append(objs,
		fmt.Sprintf("<< /Type /Catalog /Pages 2 0 R /Lang (%s) >>", lang),
		fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(contents)),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
	)
	for i, c := range contents {
		objs = append(objs,
			fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*i),
			fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(c)+1, c),
		)
	}
	objs = append(objs, "<< "+info+" >>")

	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, len(objs), xref)
	return b.Bytes()
}
