package index

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
)

// Suffix is appended to an archive's path to name its index file when the
// index lives beside the archive.
const Suffix = ".tarx"

// Path returns where the index of the archive at archivePath lives:
// override if set; else ARCHIVE.tarx if that file exists or the archive's
// directory is writable; else a file in the user cache directory named by
// a hash of the archive's absolute path.
func Path(archivePath, override string) (string, error) {
	if override != "" {
		return override, nil
	}
	abs, err := filepath.Abs(archivePath)
	if err != nil {
		return "", fmt.Errorf("index: %s: %w", archivePath, err)
	}
	beside := abs + Suffix
	if _, err := os.Stat(beside); err == nil {
		return beside, nil
	}
	if dirWritable(filepath.Dir(abs)) {
		return beside, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("index: %s: directory not writable and no cache directory: %w", archivePath, err)
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(cache, "tarx", hex.EncodeToString(sum[:12])+Suffix), nil
}
