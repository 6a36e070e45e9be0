package tarfmt

import "archive/tar"

// Type flags GNU tar knows beyond those archive/tar names.
const (
	TypeSolarisXHeader = 'X' // Solaris and old Sun extended header, read as 'x'
	TypeDumpDir        = 'D' // GNU incremental directory: a directory
	TypeVolume         = 'V' // GNU volume label: listed, never extracted
	TypeMultiVolume    = 'M' // GNU continuation of a file from another volume
	TypeOldNames       = 'N' // old GNU long names: unknown to GNU tar 1.34
)

// Known reports whether GNU tar 1.34 knows type flag t when it lists or
// extracts a member. Members of other types are extracted as regular
// files with the notice of UnknownNotice.
func Known(t byte) bool {
	switch t {
	case tar.TypeReg, tar.TypeRegA, tar.TypeLink, tar.TypeSymlink, tar.TypeChar,
		tar.TypeBlock, tar.TypeDir, tar.TypeFifo, tar.TypeCont, tar.TypeGNUSparse,
		TypeDumpDir, TypeVolume, TypeMultiVolume:
		return true
	}
	return false
}

// Regular reports whether a member of type flag t is extracted as a
// regular file with its contents, as GNU tar does: regular, contiguous and
// sparse files, and every unknown type.
func Regular(t byte) bool {
	switch t {
	case tar.TypeReg, tar.TypeRegA, tar.TypeCont, tar.TypeGNUSparse:
		return true
	}
	return !Known(t)
}

// UnknownNotice is GNU tar's warning when it extracts a member of an
// unknown type t; name is the member's name as the caller quotes it.
func UnknownNotice(name string, t byte) string {
	return name + ": Unknown file type '" + string([]byte{t}) + "', extracted as normal file"
}

// MultiVolumeError is GNU tar's message for a member continued from
// another volume, which it refuses to extract.
const MultiVolumeError = "Cannot extract -- file is continued from another volume"

// hasStoredData reports whether GNU tar skips the size's bytes of data
// after a header of type t: all types but directories. (A hard link's
// size field GNU tar reads as 0, but a PAX size record applies to it.)
func hasStoredData(t byte) bool {
	return t != tar.TypeDir
}

// DataBreaksExtraction reports whether a member of type t with data (a
// size that is not 0) is one GNU tar lists and writes to standard output
// after skipping the data, but fails to extract: tar -x does not skip the
// data of symbolic links, devices, FIFOs and hard links (whose size can
// only come from a PAX record), reads it as headers, and exits with
// failure.
func DataBreaksExtraction(t byte) bool {
	switch t {
	case tar.TypeSymlink, tar.TypeChar, tar.TypeBlock, tar.TypeFifo, tar.TypeLink:
		return true
	}
	return false
}
