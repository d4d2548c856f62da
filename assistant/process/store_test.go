package process_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/nyisverige/lots/assistant/process"
	"github.com/nyisverige/lots/retrieval/store/storetest"
)

func TestStore(t *testing.T) {
	ctx := context.Background()
	st := process.NewStore(storetest.New(t).Pool())
	cat, err := process.Embedded()
	if err != nil {
		t.Fatal(err)
	}

	n, err := st.Sync(ctx, cat, "lots processes load")
	if err != nil || n != cat.Len() {
		t.Fatalf("Sync = %d, %v; want %d", n, err, cat.Len())
	}
	if n, err := st.Sync(ctx, cat, "again"); err != nil || n != 0 {
		t.Errorf("a second Sync changed %d rows (%v); unchanged definitions keep their rows", n, err)
	}
	list, err := st.List(ctx)
	if err != nil || len(list) != cat.Len() {
		t.Fatalf("List = %d, %v", len(list), err)
	}
	got, err := st.Get(ctx, "id-card")
	if err != nil {
		t.Fatal(err)
	}
	if got.Agency != "Skatteverket" || got.Title.In("uk") == "" || got.UpdatedBy != "lots processes load" || !got.Fields[0].Sensitive {
		t.Errorf("Get = %+v", got)
	}
	if _, err := st.Get(ctx, "no-such-process"); !errors.Is(err, process.ErrNotFound) {
		t.Errorf("Get of a missing id = %v", err)
	}

	// A steward edits a definition: the valid edit is saved with who made it.
	orig, _ := cat.Get("id-card")
	edited := strings.Replace(orig.YAML, "en: Apply for an ID card", "en: Apply for a Swedish ID card", 1)
	if _, err := st.Put(ctx, []byte(edited), "steward@example.se"); err != nil {
		t.Fatal(err)
	}
	got, _ = st.Get(ctx, "id-card")
	if got.Title["en"] != "Apply for a Swedish ID card" || got.UpdatedBy != "steward@example.se" || !strings.Contains(got.YAML, "Swedish ID card") {
		t.Errorf("after Put: title %q by %q", got.Title["en"], got.UpdatedBy)
	}

	// An invalid edit is refused with the line and reason, and the stored definition stays.
	broken := strings.Replace(edited, "kind: link", "kind: soap-api", 1)
	_, err = st.Put(ctx, []byte(broken), "steward@example.se")
	var inv *process.InvalidError
	if !errors.As(err, &inv) || len(inv.Problems) != 1 || inv.Problems[0].Line == 0 ||
		!strings.Contains(inv.Problems[0].Reason, `integration kind "soap-api" is not supported`) {
		t.Fatalf("Put of an invalid definition = %v", err)
	}
	line := strings.Split(broken, "\n")[inv.Problems[0].Line-1]
	if !strings.Contains(line, "soap-api") {
		t.Errorf("problem line %d is %q", inv.Problems[0].Line, line)
	}
	got, _ = st.Get(ctx, "id-card")
	if got.Integration.Kind != "link" || got.Title["en"] != "Apply for a Swedish ID card" {
		t.Errorf("the refused edit changed the stored definition: %+v", got.Integration)
	}

	// The stored catalog feeds a detector.
	stored, err := st.Catalog(ctx)
	if err != nil || stored.Len() != cat.Len() {
		t.Fatalf("Catalog = %d, %v", stored.Len(), err)
	}
	if m, ok := process.NewDetector(stored).Detect(ctx, "I want to apply for an ID card", "en"); !ok || m.Process != "id-card" {
		t.Errorf("Detect from the stored catalog = %+v, %v", m, ok)
	}
}
