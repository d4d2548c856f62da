package process

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed catalog/*.yaml
var catalogFiles embed.FS

// Catalog is a set of definitions with distinct ids.
type Catalog struct {
	defs []Definition // sorted by id
}

// NewCatalog builds a catalog from definitions that were validated already (parsed, or read from the
// store); it refuses two definitions with one id.
func NewCatalog(defs ...Definition) (Catalog, error) {
	sorted := append([]Definition(nil), defs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	for i := 1; i < len(sorted); i++ {
		if sorted[i].ID == sorted[i-1].ID {
			return Catalog{}, fmt.Errorf("catalog: process id %q is defined twice", sorted[i].ID)
		}
	}
	return Catalog{defs: sorted}, nil
}

// List returns the definitions, sorted by id.
func (c Catalog) List() []Definition { return append([]Definition(nil), c.defs...) }

// Get returns the definition with the given id.
func (c Catalog) Get(id string) (Definition, bool) {
	i := sort.Search(len(c.defs), func(i int) bool { return c.defs[i].ID >= id })
	if i < len(c.defs) && c.defs[i].ID == id {
		return c.defs[i], true
	}
	return Definition{}, false
}

// Len is the number of definitions.
func (c Catalog) Len() int { return len(c.defs) }

// Embedded loads the catalog shipped in the binary (assistant/process/catalog).
func Embedded() (Catalog, error) {
	return LoadDir(catalogFiles, "catalog")
}

// LoadDir reads every *.yaml file in dir, one definition each. It checks them all and fails with an
// *InvalidError naming every problem in every file (file:line: reason), including two files that
// define one id and an id that differs from its file's name.
func LoadDir(fsys fs.FS, dir string) (Catalog, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return Catalog{}, fmt.Errorf("load catalog %s: %w", dir, err)
	}
	var (
		defs     []Definition
		problems []Problem
		firstAt  = map[string]string{} // id → file:line that defined it
	)
	for _, e := range entries {
		if e.IsDir() || !(strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			continue
		}
		file := path.Join(dir, e.Name())
		data, err := fs.ReadFile(fsys, file)
		if err != nil {
			return Catalog{}, fmt.Errorf("load catalog %s: %w", file, err)
		}
		d, idLine, ps := parse(file, data)
		problems = append(problems, ps...)
		if d.ID == "" {
			continue
		}
		if base := strings.TrimSuffix(strings.TrimSuffix(e.Name(), ".yaml"), ".yml"); base != d.ID {
			problems = append(problems, Problem{File: file, Line: idLine,
				Reason: fmt.Sprintf("id %q differs from the file name: name the file %s.yaml", d.ID, d.ID)})
		}
		if at, dup := firstAt[d.ID]; dup {
			problems = append(problems, Problem{File: file, Line: idLine,
				Reason: fmt.Sprintf("process id %q is already defined at %s", d.ID, at)})
			continue
		}
		firstAt[d.ID] = fmt.Sprintf("%s:%d", file, idLine)
		if len(ps) == 0 {
			defs = append(defs, d)
		}
	}
	if len(problems) > 0 {
		return Catalog{}, &InvalidError{Problems: problems}
	}
	if len(defs) == 0 {
		return Catalog{}, fmt.Errorf("load catalog %s: %w", dir, errors.New("no *.yaml definitions"))
	}
	return NewCatalog(defs...)
}
