package remote

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

var (
	// ErrChanged means the object was replaced or modified after it was
	// opened: its ETag, Last-Modified or size no longer match.
	ErrChanged = errors.New("remote: object changed while being read")
	// ErrNoRange means the server ignores range requests (it answered 200
	// with the whole body), so random reads are impossible; Stream works.
	ErrNoRange = errors.New("remote: server ignores range requests")
	// ErrNotFound means the object does not exist (HTTP 404 or 410).
	ErrNotFound = errors.New("remote: not found")
	// ErrDenied means the server refused access (HTTP 401 or 403).
	ErrDenied = errors.New("remote: access denied")
	// ErrStalled means a response body delivered no bytes for
	// Options.StallTimeout.
	ErrStalled = errors.New("remote: response stalled")
	// ErrLocation means a location could not be parsed or has an
	// unsupported scheme.
	ErrLocation = errors.New("remote: bad location")
	// ErrUnsupported means the operation is not available for this kind
	// of location (for example Put over HTTP).
	ErrUnsupported = errors.New("remote: unsupported operation")
)

// retryableError marks a failure worth another attempt, with the delay the
// server asked for (Retry-After), if any.
type retryableError struct {
	err   error
	after time.Duration
}

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

// statusError turns an HTTP status that is not a success into an error
// naming the object; retryAfter is the Retry-After header, if any.
func statusError(name string, code int, retryAfter string) error {
	switch {
	case code == http.StatusNotFound || code == http.StatusGone:
		return fmt.Errorf("%w: %s (HTTP %d)", ErrNotFound, name, code)
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return fmt.Errorf("%w: %s (HTTP %d)", ErrDenied, name, code)
	case code == http.StatusPreconditionFailed:
		return fmt.Errorf("%w: %s (HTTP %d)", ErrChanged, name, code)
	case code == http.StatusRequestedRangeNotSatisfiable:
		return fmt.Errorf("%w: %s (HTTP %d: shorter than when opened)", ErrChanged, name, code)
	case code == http.StatusTooManyRequests || code >= 500:
		return &retryableError{
			err:   fmt.Errorf("remote: %s: HTTP %d %s", name, code, http.StatusText(code)),
			after: parseRetryAfter(retryAfter, time.Now()),
		}
	}
	return fmt.Errorf("remote: %s: HTTP %d %s", name, code, http.StatusText(code))
}

// parseRetryAfter parses a Retry-After value: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(min(s, 1<<20)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func isChanged(err error) bool { return errors.Is(err, ErrChanged) }
