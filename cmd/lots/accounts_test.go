package main

import (
	"strings"
	"testing"

	"github.com/nyisverige/lots/assistant/process"
	"github.com/nyisverige/lots/retrieval/store/storetest"
)

// lots serve's start-up writes the embedded catalog without undoing a steward's edit: the
// edited process keeps the edit, the others follow the binary.
func TestSyncCatalogKeepsStewardsEdits(t *testing.T) {
	ctx := t.Context()
	processes := process.NewStore(storetest.New(t).Pool())
	if err := syncCatalog(ctx, processes); err != nil {
		t.Fatal(err)
	}
	embedded, err := process.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	sfi, _ := embedded.Get("sfi")
	edited := strings.Replace(sfi.YAML, "\nagency: Kommunen\n", "\nagency: Kommunen # checked by the steward\n", 1)
	if _, err := processes.Put(ctx, []byte(edited), "anna@kommun.example"); err != nil {
		t.Fatal(err)
	}
	// An older binary's text of a process nobody edited.
	card, _ := embedded.Get("id-card")
	old := strings.Replace(card.YAML, "\nagency: Skatteverket\n", "\nagency: Skatteverket # old\n", 1)
	if _, err := processes.Put(ctx, []byte(old), catalogSyncer); err != nil {
		t.Fatal(err)
	}

	if err := syncCatalog(ctx, processes); err != nil { // the next start
		t.Fatal(err)
	}
	if got, err := processes.Get(ctx, "sfi"); err != nil || got.YAML != edited || got.UpdatedBy != "anna@kommun.example" {
		t.Errorf("sfi after a restart: by %q, edit kept %v, %v", got.UpdatedBy, got.YAML == edited, err)
	}
	if got, err := processes.Get(ctx, "id-card"); err != nil || got.YAML != card.YAML {
		t.Errorf("id-card after a restart: by %q, updated to the binary's %v, %v", got.UpdatedBy, got.YAML == card.YAML, err)
	}
	if list, err := processes.List(ctx); err != nil || len(list) != embedded.Len() {
		t.Errorf("%d processes stored (%v); want %d", len(list), err, embedded.Len())
	}
}
