package gzseek

import "fmt"

// WindowSize is the size of the deflate history window: the most output
// a checkpoint ever needs to carry.
const WindowSize = 32 << 10

// Checkpoint is a position in a gzip file at which decompression can resume.
type Checkpoint struct {
	// Out is the offset in the decompressed stream (all members
	// concatenated) of the first byte produced after resuming.
	Out int64
	// In is the offset in the compressed file of the byte that holds the
	// first bit of the next deflate block, or of the member header if
	// MemberStart is set.
	In int64
	// Bit is the number of bits of the byte at In that belong to the
	// previous block (0-7).
	Bit uint8
	// Member is the zero-based number of the gzip member the checkpoint
	// lies in.
	Member int64
	// MemberStart is set when the checkpoint is the start of a gzip member:
	// decompression starts by parsing the header at In and needs no window.
	MemberStart bool
	// Window holds the last min(32 KiB, output of this member so far)
	// bytes of output before Out. Empty at a member start.
	Window []byte
}

// validate reports whether c is internally consistent.
func (c *Checkpoint) validate() error {
	switch {
	case c.Out < 0 || c.In < 0 || c.Member < 0:
		return fmt.Errorf("%w: negative offset", ErrCheckpoint)
	case c.Bit > 7:
		return fmt.Errorf("%w: bit offset %d", ErrCheckpoint, c.Bit)
	case len(c.Window) > WindowSize:
		return fmt.Errorf("%w: window of %d bytes", ErrCheckpoint, len(c.Window))
	case c.MemberStart && (c.Bit != 0 || len(c.Window) != 0):
		return fmt.Errorf("%w: member start with bit offset or window", ErrCheckpoint)
	}
	return nil
}
