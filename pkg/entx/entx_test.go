package entx

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/field"

	"github.com/vanguard/vanguard/pkg/bizerr"
)

func TestCharsCountsCharactersNotBytes(t *testing.T) {
	d := Chars(field.String("display_name"), 64).Unique().Descriptor()
	if d.Err != nil {
		t.Fatal(d.Err)
	}
	var size int64
	for _, a := range d.Annotations {
		if ea, ok := a.(*entsql.Annotation); ok {
			size = ea.Size
		}
		if ea, ok := a.(entsql.Annotation); ok {
			size = ea.Size
		}
	}
	if size != 64 || !d.Unique {
		t.Fatalf("column size %d unique %v, want 64 true", size, d.Unique)
	}
	check := func(s string) error {
		for _, v := range d.Validators {
			if err := v.(func(string) error)(s); err != nil {
				return err
			}
		}
		return nil
	}
	for _, s := range []string{"", strings.Repeat("党", 64), strings.Repeat("a", 64), strings.Repeat("𠮷", 64)} {
		if err := check(s); err != nil {
			t.Errorf("%d characters (%d bytes) refused: %v", len([]rune(s)), len(s), err)
		}
	}
	err := check(strings.Repeat("党", 65))
	var tl *TooLongError
	if !errors.As(err, &tl) || tl.Max != 64 {
		t.Fatalf("65 characters: %v", err)
	}
	var fe *bizerr.FieldError
	if !errors.As(Invalid("display_name", err), &fe) || fe.Field != "display_name" || fe.Reason != "长度不能超过 64 个字符" {
		t.Fatalf("Invalid = %#v", fe)
	}
	if !errors.As(Invalid("code", errors.New("value does not match validation")), &fe) || fe.Field != "code" {
		t.Fatalf("Invalid of another validator = %#v", fe)
	}
}

// No ent schema of the repository limits text with MaxLen, which counts bytes.
func TestNoSchemaCountsBytes(t *testing.T) {
	root := filepath.Join("..", "..")
	byteLimit := regexp.MustCompile(`\.MaxLen\(`)
	var checked int
	for _, pattern := range []string{"app/*/internal/data/ent/schema/*.go", "pkg/*/*.go", "pkg/*/*/*.go"} {
		files, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") || strings.Contains(f, "/ent/") && !strings.Contains(f, "/schema/") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), "entgo.io/ent/schema/field") {
				continue
			}
			checked++
			if loc := byteLimit.FindIndex(b); loc != nil {
				line := strings.Count(string(b[:loc[0]]), "\n") + 1
				t.Errorf("%s:%d limits a string with MaxLen (bytes); use entx.Chars (characters)", f, line)
			}
		}
	}
	if checked < 3 {
		t.Fatalf("only %d schema files found", checked)
	}
}
