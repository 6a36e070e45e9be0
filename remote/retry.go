package remote

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// retrier decides whether a failure is worth another attempt and waits
// the backoff. Its budget (Options.Retries attempts, Options.RetryTime)
// counts from the first failure since the last byte received.
type retrier struct {
	opts     *Options
	attempts int
	since    time.Time
}

// progress resets the budget: bytes arrived since the last failure.
func (r *retrier) progress() { r.attempts = 0 }

// wait returns err if it is not worth another attempt or the budget is
// spent; else it sleeps the backoff (at least the server's Retry-After)
// and returns nil.
func (r *retrier) wait(ctx context.Context, err error) error {
	var re *retryableError
	if !errors.As(err, &re) {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	now := time.Now()
	if r.attempts == 0 {
		r.since = now
	}
	r.attempts++
	if r.attempts > r.opts.retries() {
		return fmt.Errorf("%w (gave up after %d attempts)", err, r.attempts)
	}
	d := r.backoff()
	if re.after > d {
		d = re.after
	}
	if spent := now.Add(d).Sub(r.since); spent > r.opts.retryTime() {
		return fmt.Errorf("%w (gave up: retrying would take %v, more than %v)",
			err, spent.Round(time.Millisecond), r.opts.retryTime())
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// backoff draws the wait before the current attempt: uniform in
// (0, MinBackoff·2^(attempts-1)], capped at MaxBackoff (full jitter).
func (r *retrier) backoff() time.Duration {
	bound := r.opts.maxBackoff()
	if shift := r.attempts - 1; shift < 30 {
		bound = min(bound, r.opts.minBackoff()<<shift)
	}
	return time.Duration(rand.Int64N(int64(bound))) + 1
}

// transportError classifies an error of a request that got no response:
// certificate failures are final, anything else (refused, reset, closed,
// timed out) is worth another attempt.
func transportError(err error) error {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	if errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci) {
		return err
	}
	return &retryableError{err: err}
}
