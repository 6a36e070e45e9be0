package tarfmt

import (
	"fmt"
	"strconv"
	"strings"
)

// span is one run of data of a sparse member: Length bytes stored in the
// archive that belong at Offset in the file. Holes are the gaps.
type span struct{ Offset, Length int64 }

// maxSpans bounds a sparse map, as archive/tar and GNU tar bound memory.
const maxSpans = 1 << 20

// checkSpans validates a sparse map against the file size and the stored
// size, as strictly as the bytes GNU tar would write can be vouched for:
// runs in order, not overlapping, inside the file, the last one ending at
// the file's size (GNU tar's files end where the last run ends: its maps
// carry a final empty run at the size when the file ends in a hole), and
// their data within the stored data. GNU tar reads the data of each run
// from a block of its own (its own archives pad runs to whole blocks), so
// a run's data starts at the next block boundary after the previous
// run's; stored data past the last run is skipped, as GNU tar does.
func checkSpans(sp []span, size, stored int64) error {
	var end, pos int64
	for _, s := range sp {
		if s.Offset < end || s.Length < 0 || s.Offset > size || s.Length > size-s.Offset {
			return fmt.Errorf("%w: sparse map entry %d+%d out of order or beyond the size %d", ErrSparse, s.Offset, s.Length, size)
		}
		end = s.Offset + s.Length
		if s.Length > 0 {
			pos = (pos+blockSize-1)&^(blockSize-1) + s.Length
			if pos > stored {
				return fmt.Errorf("%w: sparse map needs more data than the %d bytes stored", ErrSparse, stored)
			}
		}
	}
	if end != size {
		return fmt.Errorf("%w: sparse map ends at %d, the size is %d", ErrSparse, end, size)
	}
	return nil
}

// gnuSparseEntries adds the old GNU sparse entries in b (n entries of
// offset and size, 12 bytes each) to sp. It returns false at the first
// entry whose size field starts with a NUL, which ends the map (GNU
// tar's oldgnu_add_sparse).
func gnuSparseEntries(sp []span, b []byte, n int) ([]span, bool, error) {
	for i := range n {
		e := b[i*24 : i*24+24]
		if e[12] == 0 {
			return sp, false, nil
		}
		off, err := parseNumber(e[:12], false, "sparse offset")
		if err != nil {
			return nil, false, err
		}
		size, err := parseNumber(e[12:], false, "sparse size")
		if err != nil {
			return nil, false, err
		}
		if off < 0 || size < 0 || len(sp) >= maxSpans {
			return nil, false, fmt.Errorf("%w: sparse entry %d+%d", ErrSparse, off, size)
		}
		sp = append(sp, span{off, size})
	}
	return sp, true, nil
}

// parseSparseMap01 parses GNU.sparse.map: offset,size pairs, comma
// separated (PAX sparse format 0.1).
func parseSparseMap01(v string) ([]span, error) {
	if v == "" {
		return nil, nil
	}
	f := strings.Split(v, ",")
	if len(f)%2 != 0 || len(f)/2 > maxSpans {
		return nil, fmt.Errorf("%w: malformed extended header: invalid GNU.sparse.map", ErrHeader)
	}
	sp := make([]span, 0, len(f)/2)
	for i := 0; i < len(f); i += 2 {
		off, err1 := strconv.ParseInt(f[i], 10, 64)
		size, err2 := strconv.ParseInt(f[i+1], 10, 64)
		if err1 != nil || err2 != nil || off < 0 || size < 0 || !allDigits(f[i]) || !allDigits(f[i+1]) {
			return nil, fmt.Errorf("%w: malformed extended header: invalid GNU.sparse.map", ErrHeader)
		}
		sp = append(sp, span{off, size})
	}
	return sp, nil
}

func allDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
