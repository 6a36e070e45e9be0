package index

import (
	"context"
	"os"
	"time"
)

// lockFile takes an exclusive lock on f (an flock on Unix, LockFileEx on
// Windows), waiting until ctx is done.
func lockFile(ctx context.Context, f *os.File) (func(), error) {
	for {
		unlock, busy, err := tryLock(f)
		if err == nil {
			return unlock, nil
		}
		if !busy {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
