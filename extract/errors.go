package extract

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/tarx-dev/tarx/index"
)

// Errors returned by the Writer, wrapped in a [*MemberError] when a member is
// concerned.
var (
	// ErrUnsafePath reports a member name or hard link target that would
	// resolve outside the destination directory, or through a symbolic
	// link that came from the archive.
	ErrUnsafePath = errors.New("extract: unsafe path")

	// ErrClosed reports use of a Writer after Close or Abort.
	ErrClosed = errors.New("extract: writer closed")

	// ErrUnsupported reports a member of a type, or metadata, that the
	// operating system cannot create (device nodes on Windows, owners on
	// Windows).
	ErrUnsupported = errors.New("extract: not supported on this system")

	// ErrIncomplete reports a file created by CreateFile whose pieces were
	// not all done when the Writer was closed; the file is removed.
	ErrIncomplete = errors.New("extract: incomplete file")

	// ErrShard reports shard settings that cannot work: a shard number out
	// of range, options that would make shards disagree, or a shared file
	// whose path holds something else.
	ErrShard = errors.New("extract: shard")

	// ErrShardsMissing reports a Finish before every shard of the plan
	// recorded that it is done.
	ErrShardsMissing = errors.New("extract: shards not done")
)

// A MemberError records an error and the archive member whose extraction
// caused it.
type MemberError struct {
	Member string // member name as found in the archive
	Op     string // what failed, as "cannot open"; may be empty
	Err    error  // the underlying error
}

// Error returns "extract: member: op: err".
func (e *MemberError) Error() string {
	msg := strings.TrimPrefix(e.Err.Error(), "extract: ")
	if e.Op != "" {
		msg = e.Op + ": " + msg
	}
	if e.Member == "" {
		return "extract: " + msg
	}
	return "extract: " + quoteName(e.Member) + ": " + msg
}

// Unwrap returns e.Err.
func (e *MemberError) Unwrap() error { return e.Err }

// quoteName quotes a name for an error message if it holds characters that
// would garble the message.
func quoteName(s string) string {
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			return strconv.Quote(s)
		}
	}
	return s
}

// memberErr wraps err for member. Path errors lose their path (the member
// names it already) and os.Root's refusal to leave the root becomes
// ErrUnsafePath.
func memberErr(member, op string, err error) error {
	var me *MemberError
	if errors.As(err, &me) {
		return err
	}
	for {
		var pe *fs.PathError
		var le *os.LinkError
		var se *os.SyscallError
		switch {
		case errors.As(err, &pe):
			err = pe.Err
			continue
		case errors.As(err, &le):
			err = le.Err
			continue
		case errors.As(err, &se):
			err = se.Err
			continue
		}
		break
	}
	if isEscape(err) {
		if op != "" {
			op += ": "
		}
		return &MemberError{Member: member, Op: op + err.Error(), Err: ErrUnsafePath}
	}
	return &MemberError{Member: member, Op: op, Err: err}
}

// isEscape reports whether err is os.Root's refusal of a name that escapes
// the root. The os package keeps that error unexported, so this is the one
// place where an error is recognised by its text.
func isEscape(err error) bool {
	return err != nil && strings.Contains(err.Error(), "path escapes from parent")
}

// dataErr returns the error of reading a member's contents. index's
// errors (a checksum mismatch, a failure of the archive's data) name the
// member already and are returned as they are, so that a corrupt member is
// reported by extract exactly as by cat and the FS; others are wrapped in
// a MemberError.
func dataErr(member string, err error) error {
	var re *index.ReadError
	if errors.Is(err, index.ErrChecksum) || errors.As(err, &re) {
		return err
	}
	return memberErr(member, "reading data", err)
}
