package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/nyisverige/lots/retrieval/store/storetest"
)

func TestUsersCommand(t *testing.T) {
	ctx := context.Background()
	a := &app{cfg: &Config{Addr: "127.0.0.1:8080"}, log: slog.New(slog.DiscardHandler), store: storetest.New(t)}
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := a.users(ctx, args, &out)
		return out.String(), err
	}

	steps := []struct {
		name    string
		args    []string
		wantOut string
		wantErr string
	}{
		{"grant a steward, flags after the address", []string{"grant", "Anna@Skatteverket.se", "--role", "steward", "--agency", "skatteverket"}, "granted steward of skatteverket to Anna@Skatteverket.se", ""},
		{"grant an admin, flags first", []string{"grant", "--role", "admin", "boss@lots.example"}, "granted admin to boss@lots.example", ""},
		{"a steward needs an agency", []string{"grant", "carl@csn.se", "--role", "steward"}, "", "needs an agency"},
		{"not an address", []string{"grant", "carl", "--role", "admin"}, "", "not an e-mail address"},
		{"no role", []string{"grant", "carl@csn.se"}, "", "want one e-mail address and --role"},
		{"list", []string{"list"}, "anna@skatteverket.se  steward  skatteverket  waiting for first sign-in", ""},
		{"revoke", []string{"revoke", "boss@lots.example", "--role", "admin"}, "revoked admin from boss@lots.example", ""},
		{"revoke again", []string{"revoke", "boss@lots.example", "--role", "admin"}, "", "does not have admin"},
		{"invite a steward", []string{"invite", "--role", "steward", "--agency", "CSN"}, "http://localhost:8080/signin/invite/", ""},
		{"an invitation needs a role", []string{"invite", "--agency", "CSN"}, "", "want --role"},
		{"unknown subcommand", []string{"promote"}, "", "unknown"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			out, err := run(s.args...)
			if s.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), s.wantErr) {
					t.Fatalf("lots users %s: error %v; want one saying %q", strings.Join(s.args, " "), err, s.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("lots users %s: %v", strings.Join(s.args, " "), err)
			}
			if !strings.Contains(out, s.wantOut) {
				t.Errorf("lots users %s printed %q; want %q in it", strings.Join(s.args, " "), out, s.wantOut)
			}
		})
	}
	if out, _ := run("list"); strings.Contains(out, "boss@") {
		t.Errorf("the revoked admin is still listed:\n%s", out)
	}
}
