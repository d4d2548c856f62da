package assistant_test

import (
	"context"
	"testing"
)

func TestExploreDates(t *testing.T) {
	st := demoIndex(t)
	rows, err := st.Pool().Query(context.Background(), `SELECT c.language, p.url, right(c.text, 120) FROM chunks c JOIN pages p ON p.id = c.page_id WHERE c.text ~ '\d{4}-\d{2}-\d{2}'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var l, u, s string
		rows.Scan(&l, &u, &s)
		t.Logf("%s %s %q", l, u, s)
	}
}
