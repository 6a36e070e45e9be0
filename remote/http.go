package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// httpBackend reads an object over HTTP(S) with range requests.
type httpBackend struct {
	client *http.Client
	tr     *http.Transport // ours, closed with the Object; nil if given
	pre    *predialer      // with tr
	url    string          // with credentials and query: never in messages
	name   string
}

// newHTTP returns the backend of an http:// or https:// location. With a
// Transport of its own and several readers to come (Options.Readers), it
// dials the connections of their first requests while the identity
// request is in flight (see predialer), in ctx: the Object's lifetime.
func newHTTP(ctx context.Context, loc Location, opts *Options, st *counters) *httpBackend {
	h := &httpBackend{url: loc.URL.String(), name: loc.String()}
	base := opts.Transport
	if base == nil {
		h.pre = &predialer{ctx: ctx, dialer: &net.Dialer{Timeout: opts.connectTimeout(), KeepAlive: 30 * time.Second}}
		if opts.Readers > 1 {
			// The identity request takes one connection; the burst
			// after it up to MaxRequests.
			h.pre.pending = opts.maxRequests() - 1
		}
		h.tr = newTransport(opts, h.pre.dial)
		base = h.tr
	}
	h.client = &http.Client{Transport: &countingTransport{base: base, st: st}}
	return h
}

// newTransport returns a connection pool sized for Options.MaxRequests,
// with the connect and response timeouts, dialling with dial.
func newTransport(opts *Options, dial func(context.Context, string, string) (net.Conn, error)) *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dial,
		TLSHandshakeTimeout:   opts.connectTimeout(),
		ResponseHeaderTimeout: opts.stallTimeout(),
		MaxIdleConns:          2 * opts.maxRequests(),
		MaxIdleConnsPerHost:   opts.maxRequests(),
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
		ForceAttemptHTTP2:     true,
	}
}

func (h *httpBackend) close() {
	if h.tr != nil {
		h.pre.close()
		h.tr.CloseIdleConnections()
	}
}

func (h *httpBackend) newRequest(ctx context.Context) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.url, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrLocation, h.name)
	}
	// The bytes as stored: never a transfer-compressed variant.
	req.Header.Set("Accept-Encoding", "identity")
	return req, nil
}

// do sends req; a failure without a response is retryable unless it is a
// certificate error. The *url.Error's URL (with query) is left out.
func (h *httpBackend) do(req *http.Request) (*http.Response, error) {
	resp, err := h.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if req.Context().Err() != nil {
			return nil, req.Context().Err()
		}
		return nil, transportError(fmt.Errorf("remote: %s: %w", h.name, err))
	}
	return resp, nil
}

// stat asks for the first byte: a server that honours ranges answers 206
// with the object's size in Content-Range, and sends one byte of body.
func (h *httpBackend) stat(ctx context.Context) (Identity, bool, error) {
	req, err := h.newRequest(ctx)
	if err != nil {
		return Identity{}, false, err
	}
	req.Header.Set("Range", "bytes=0-0")
	resp, err := h.do(req)
	if err != nil {
		return Identity{}, false, err
	}
	defer resp.Body.Close()
	id := Identity{Name: h.name, Size: -1, ETag: resp.Header.Get("ETag")}
	if lm, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		id.LastModified = lm
	}
	switch resp.StatusCode {
	case http.StatusPartialContent:
		start, _, total, err := parseContentRange(resp.Header.Get("Content-Range"))
		if err != nil || start != 0 || total < 0 {
			return id, false, fmt.Errorf("remote: %s: bad Content-Range %q", h.name, resp.Header.Get("Content-Range"))
		}
		id.Size = total
		// Read the byte, so that the connection is reused.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
		return id, true, nil
	case http.StatusOK:
		// The whole body follows: the server ignores ranges (or the
		// object is empty, when there is nothing to range over).
		id.Size = resp.ContentLength
		return id, id.Size == 0, nil
	case http.StatusRequestedRangeNotSatisfiable:
		// An empty object: "bytes */0".
		if _, _, total, err := parseContentRange(resp.Header.Get("Content-Range")); err == nil && total == 0 {
			id.Size = 0
			return id, true, nil
		}
	}
	return id, false, statusError(h.name, resp.StatusCode, resp.Header.Get("Retry-After"))
}

func (h *httpBackend) get(ctx context.Context, r getRequest) (io.ReadCloser, error) {
	req, err := h.newRequest(ctx)
	if err != nil {
		return nil, err
	}
	if r.ranged {
		if r.end >= 0 {
			req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", r.off, r.end-1))
		} else {
			req.Header.Set("Range", fmt.Sprintf("bytes=%d-", r.off))
		}
	}
	setConditions(req.Header, r.id)
	resp, err := h.do(req)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (io.ReadCloser, error) {
		resp.Body.Close()
		return nil, err
	}
	if err := checkValidators(h.name, r.id, resp.Header); err != nil {
		return fail(err)
	}
	switch {
	case resp.StatusCode == http.StatusPartialContent && r.ranged:
		start, _, total, err := parseContentRange(resp.Header.Get("Content-Range"))
		if err != nil || start != r.off {
			return fail(fmt.Errorf("remote: %s: Content-Range %q does not answer bytes %d-", h.name, resp.Header.Get("Content-Range"), r.off))
		}
		if total >= 0 && total != r.id.Size {
			return fail(fmt.Errorf("%w: %s: size %d, was %d", ErrChanged, h.name, total, r.id.Size))
		}
		return resp.Body, nil
	case resp.StatusCode == http.StatusOK && r.ranged:
		return fail(fmt.Errorf("%w: %s (answered 200 to a range request)", ErrNoRange, h.name))
	case resp.StatusCode == http.StatusOK:
		if resp.ContentLength >= 0 && r.id.Size >= 0 && resp.ContentLength != r.id.Size {
			return fail(fmt.Errorf("%w: %s: size %d, was %d", ErrChanged, h.name, resp.ContentLength, r.id.Size))
		}
		// No ranges: skip to off in the full body.
		if _, err := io.CopyN(io.Discard, resp.Body, r.off); err != nil {
			return fail(&retryableError{err: fmt.Errorf("remote: %s: skipping to byte %d: %w", h.name, r.off, err)})
		}
		return resp.Body, nil
	}
	return fail(statusError(h.name, resp.StatusCode, resp.Header.Get("Retry-After")))
}

// setConditions makes a request conditional on the identity: If-Match on a
// strong ETag (a weak one never matches), else If-Unmodified-Since.
func setConditions(h http.Header, id *Identity) {
	if id.StrongETag() {
		h.Set("If-Match", id.ETag)
	} else if !id.LastModified.IsZero() {
		h.Set("If-Unmodified-Since", id.LastModified.UTC().Format(http.TimeFormat))
	}
}

// StrongETag reports whether the identity has a strong entity tag: one
// that If-Match can hold a request to (a weak one never matches).
func (id Identity) StrongETag() bool { return id.ETag != "" && !strings.HasPrefix(id.ETag, "W/") }

// checkValidators fails with ErrChanged if a response's ETag or
// Last-Modified differ from the identity's: a server may ignore the
// conditions.
func checkValidators(name string, id *Identity, h http.Header) error {
	if et := h.Get("ETag"); et != "" && id.ETag != "" && et != id.ETag {
		return fmt.Errorf("%w: %s: ETag %s, was %s", ErrChanged, name, et, id.ETag)
	}
	if lm, err := http.ParseTime(h.Get("Last-Modified")); err == nil && !id.LastModified.IsZero() && !lm.Equal(id.LastModified) {
		return fmt.Errorf("%w: %s: Last-Modified %s, was %s", ErrChanged, name,
			lm.UTC().Format(http.TimeFormat), id.LastModified.UTC().Format(http.TimeFormat))
	}
	return nil
}

// parseContentRange parses "bytes START-END/TOTAL" or "bytes */TOTAL"
// (start and end -1); TOTAL "*" gives -1.
func parseContentRange(s string) (start, end, total int64, err error) {
	bad := func() (int64, int64, int64, error) {
		return 0, 0, 0, fmt.Errorf("remote: bad Content-Range %q", s)
	}
	rest, ok := strings.CutPrefix(s, "bytes ")
	if !ok {
		return bad()
	}
	rng, tot, ok := strings.Cut(strings.TrimSpace(rest), "/")
	if !ok {
		return bad()
	}
	total = -1
	if tot != "*" {
		if total, err = strconv.ParseInt(tot, 10, 64); err != nil || total < 0 {
			return bad()
		}
	}
	if rng == "*" {
		if total < 0 {
			return bad()
		}
		return -1, -1, total, nil
	}
	a, b, ok := strings.Cut(rng, "-")
	if !ok {
		return bad()
	}
	if start, err = strconv.ParseInt(a, 10, 64); err != nil || start < 0 {
		return bad()
	}
	if end, err = strconv.ParseInt(b, 10, 64); err != nil || end < start || (total >= 0 && end >= total) {
		return bad()
	}
	return start, end, total, nil
}

// countingTransport counts requests and the body bytes of their responses.
type countingTransport struct {
	base http.RoundTripper
	st   *counters
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.st.requests.Add(1)
	return t.st.countBody(t.base.RoundTrip(req))
}

// countBody makes the body of resp count the bytes read from it; the
// HTTP transport and the S3 client both count through it.
func (st *counters) countBody(resp *http.Response, err error) (*http.Response, error) {
	if err == nil && resp.Body != nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, st: st}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	st *counters
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.st.bytes.Add(int64(n))
	return n, err
}
