// Package entx holds ent schema helpers shared by the services.
//
// Text limits are counted in characters (runes), the way the API counts them (buf.validate
// string.max_len counts code points): ent's MaxLen counts bytes, so a 64-"character" column
// refused a 22-character Chinese name, since each Chinese character is three bytes in UTF-8.
// Use Chars instead of MaxLen.
package entx

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"

	"github.com/vanguard/vanguard/pkg/bizerr"
)

// TooLongError is the error of a MaxChars validator: the value has more than Max characters.
type TooLongError struct{ Max int }

func (e *TooLongError) Error() string { return fmt.Sprintf("长度不能超过 %d 个字符", e.Max) }

// MaxChars returns a validator refusing values of more than n characters (runes, not bytes).
func MaxChars(n int) func(string) error {
	return func(s string) error {
		if utf8.RuneCountInString(s) > n {
			return &TooLongError{Max: n}
		}
		return nil
	}
}

// stringField is what ent's string field builder offers (its type is unexported).
type stringField[B any] interface {
	Validate(func(string) error) B
	Annotations(...schema.Annotation) B
}

// Chars limits a string field to n characters: the column holds n characters (PostgreSQL and
// MySQL count varchar(n) in characters; SQLite does not enforce sizes) and a validator counts
// runes. Use it instead of MaxLen, e.g. entx.Chars(field.String("title"), biz.MaxTitle).Unique().
func Chars[B stringField[B]](b B, n int) B {
	return b.Annotations(entsql.Annotation{Size: int64(n)}).Validate(MaxChars(n))
}

// Invalid turns the failure of ent's validator for field (ValidationError.Name) into the shared
// invalid-argument error naming the field, so input that slips past the API rules is a 400, not
// a 500.
func Invalid(field string, err error) error {
	var tl *TooLongError
	if errors.As(err, &tl) {
		return bizerr.Invalid(field, "长度不能超过 %d 个字符", tl.Max)
	}
	return bizerr.Invalid(field, "取值无效")
}
