package corpus

import (
	"errors"
	"io/fs"
	"strings"
)

// ErrorKind names what kind of problem a record error is, for summaries
// that count errors by kind and show a few examples of each: the field of
// a *FieldError ("year", "id"), "damaged gzip data" for input that failed
// its checksum, "unreadable" and "missing" for files and folders, else the
// message's leading phrase up to its first number or detail ("invalid
// JSON", "not valid UTF-8", "line longer than"). Positions, byte offsets
// and counts never enter a kind, so one kind of problem is one group.
func ErrorKind(err error) string {
	var fe *FieldError
	var de *DamagedError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &fe) && fe.Field != "":
		return fe.Field
	case errors.As(err, &de):
		return "damaged gzip data"
	case errors.Is(err, fs.ErrPermission):
		return "unreadable"
	case errors.Is(err, fs.ErrNotExist):
		return "missing"
	}
	var re *RecordError
	if errors.As(err, &re) {
		err = re.Err // past the file:line
	}
	return leadingPhrase(err.Error())
}

// leadingPhrase is msg up to its first ':', '(' or ';', or its first word
// starting with a digit.
func leadingPhrase(msg string) string {
	if i := strings.IndexAny(msg, ":(;"); i >= 0 {
		msg = msg[:i]
	}
	words := strings.Fields(msg)
	for i, w := range words {
		if w[0] >= '0' && w[0] <= '9' {
			words = words[:i]
			break
		}
	}
	if len(words) == 0 {
		return "other"
	}
	return strings.Join(words, " ")
}
