package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/nyisverige/lots/assistant/process"
)

const processesUsage = `lots processes: the catalog of processes a newcomer starts (assistant/process/catalog)

  lots processes validate [DIR | FILE.yaml]   check the embedded catalog, a directory or one file
  lots processes list                          list the processes in the database
  lots processes load                          write the embedded catalog to the database
  lots processes put [--by NAME] FILE.yaml     save one edited definition (a steward's edit)
`

// processes runs lots processes SUBCOMMAND. validate needs no database; the others do.
func processes(ctx context.Context, fs *flag.FlagSet, args []string, cfg *Config, validate func() error, stdout, stderr io.Writer) error {
	by := fs.String("by", "cli:"+operator(), "who makes the change (put, load), kept with the definition")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fmt.Fprint(stderr, processesUsage)
		return errors.New("processes: say validate, list, load or put")
	}
	// Flags may also follow the subcommand: lots processes put --by NAME FILE.
	sub := rest[0]
	if err := fs.Parse(rest[1:]); err != nil {
		return err
	}
	rest = append([]string{sub}, fs.Args()...)
	switch rest[0] {
	case "validate":
		return validateProcesses(rest[1:], stdout)
	case "list", "load", "put":
		return withApp(ctx, fs, args, cfg, validate, stderr, func(a *app) error {
			if err := a.checkSchema(ctx); err != nil {
				return err
			}
			st := process.NewStore(a.store.Pool())
			switch rest[0] {
			case "list":
				return listProcesses(ctx, st, stdout)
			case "load":
				cat, err := process.Embedded()
				if err != nil {
					return printInvalid(err, "", stdout)
				}
				n, err := st.Sync(ctx, cat, *by)
				if err != nil {
					return err
				}
				fmt.Fprintf(stdout, "loaded %d processes (%d added or changed)\n", cat.Len(), n)
				return nil
			default:
				if len(rest) != 2 {
					return errors.New("processes put: name one definition file, e.g. lots processes put id-card.yaml")
				}
				data, err := os.ReadFile(rest[1])
				if err != nil {
					return fmt.Errorf("processes put: %w", err)
				}
				d, err := st.Put(ctx, data, *by)
				if err != nil {
					return printInvalid(err, rest[1], stdout)
				}
				fmt.Fprintf(stdout, "saved %s (%s) by %s\n", d.ID, d.Agency, *by)
				return nil
			}
		})
	default:
		fmt.Fprint(stderr, processesUsage)
		return fmt.Errorf("processes: unknown subcommand %q", rest[0])
	}
}

// validateProcesses checks the embedded catalog, a directory of definitions or one file.
func validateProcesses(args []string, out io.Writer) error {
	switch {
	case len(args) == 0:
		cat, err := process.Embedded()
		if err != nil {
			return printInvalid(err, "", out)
		}
		fmt.Fprintf(out, "the embedded catalog is valid: %d processes\n", cat.Len())
		return nil
	case len(args) > 1:
		return errors.New("processes validate: give one directory or file")
	}
	path := args[0]
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("processes validate: %w", err)
	}
	if !info.IsDir() {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("processes validate: %w", err)
		}
		d, err := process.Parse(path, data)
		if err != nil {
			return printInvalid(err, "", out)
		}
		fmt.Fprintf(out, "%s is valid: %s\n", path, d.ID)
		return nil
	}
	// A relative directory is read from the working directory, so problems name files as typed.
	fsys, dir, prefix := os.DirFS("."), filepath.ToSlash(filepath.Clean(path)), ""
	if !filepath.IsLocal(path) {
		fsys, dir, prefix = os.DirFS(path), ".", path
	}
	cat, err := process.LoadDir(fsys, dir)
	if err != nil {
		return printInvalid(err, prefix, out)
	}
	fmt.Fprintf(out, "%s is valid: %d processes\n", path, cat.Len())
	return nil
}

// printInvalid prints every problem of an invalid definition as file:line: reason (with the file's
// directory or name in place), and returns an error that says how many there were.
func printInvalid(err error, where string, out io.Writer) error {
	var inv *process.InvalidError
	if !errors.As(err, &inv) {
		return err
	}
	for _, p := range inv.Problems {
		switch {
		case p.File == "":
			p.File = where
		case where != "":
			p.File = filepath.Join(where, p.File)
		}
		fmt.Fprintln(out, p.String())
	}
	return fmt.Errorf("%d problem(s) in the process definitions", len(inv.Problems))
}

func listProcesses(ctx context.Context, st *process.Store, out io.Writer) error {
	list, err := st.List(ctx)
	if err != nil {
		return err
	}
	return writeTable(out, list, "no processes in the database; run lots processes load", "ID\tAGENCY\tTITLE\tFIELDS\tUPDATED BY\tUPDATED",
		func(p process.Stored) string {
			return fmt.Sprintf("%s\t%s\t%s\t%d\t%s\t%s", p.ID, p.Agency, p.Title.In("en"), len(p.Fields),
				p.UpdatedBy, p.UpdatedAt.Local().Format(time.DateTime))
		})
}
