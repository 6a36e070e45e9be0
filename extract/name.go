package extract

import (
	"errors"

	"github.com/tarx-dev/tarx/internal/tarname"
)

// Name returns the name under the Writer's directory at which member is
// created, as GNU tar derives it:
//
//   - A name containing a ".." element anywhere is refused with an error
//     wrapping [ErrUnsafePath], as GNU tar refuses "member names containing
//     '..'". So is a name containing a NUL byte.
//   - Leading slashes are removed. The first time a given prefix ("/", "//",
//     ...) is removed, WriterOptions.Warn is told
//     "Removing leading `/' from member names", once per distinct prefix.
//   - StripComponents leading elements are dropped, counting "." elements as
//     GNU tar does (so "./a/b" stripped of one element is "a/b"); repeated
//     slashes count as one.
//   - Remaining "." elements, repeated slashes and a trailing slash are
//     removed.
//
// ok is false, with a nil error, when nothing is left of the name (it had no
// more elements than StripComponents, or it names the directory itself, as
// "./" does); such a member is skipped silently. An empty name is an error:
// the member cannot be created.
func (w *Writer) Name(member string) (name string, ok bool, err error) {
	if member == "" {
		return "", false, &MemberError{Member: member, Err: errEmptyName}
	}
	return w.cleanName(member, "member names")
}

// cleanName is Name, with what naming the kind of name in the warning
// ("member names" or "hard link targets", as GNU tar says).
func (w *Writer) cleanName(member, what string) (string, bool, error) {
	name, prefix, ok, err := sanitizeName(member, w.opts.StripComponents)
	if prefix != "" {
		w.warnOnce("Removing leading `" + prefix + "' from " + what)
	}
	return name, ok, err
}

// sanitizeName does the work of Name without side effects, by
// internal/tarname's rules. prefix is the run of leading slashes that was
// removed.
func sanitizeName(member string, strip int) (name, prefix string, ok bool, err error) {
	n, err := tarname.Clean(member, strip)
	if err != nil {
		return "", "", false, &MemberError{Member: member, Op: err.Error(), Err: ErrUnsafePath}
	}
	return n.Path, n.Prefix, n.Path != "", nil
}

// errEmptyName is why a member without a name is not created.
var errEmptyName = errors.New("empty member name: member not extracted")

// warnOnce passes msg to the Warn option the first time it is seen.
func (w *Writer) warnOnce(msg string) {
	if w.opts.Warn == nil {
		return
	}
	w.warnMu.Lock()
	defer w.warnMu.Unlock()
	if w.warned[msg] {
		return
	}
	w.warned[msg] = true
	w.opts.Warn(msg)
}

// warn passes msg to the Warn option. Calls are serialized, so Warn need not
// be safe for concurrent use.
func (w *Writer) warn(msg string) {
	if w.opts.Warn == nil {
		return
	}
	w.warnMu.Lock()
	defer w.warnMu.Unlock()
	w.opts.Warn(msg)
}
