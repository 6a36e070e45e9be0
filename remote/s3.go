package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// s3Backend reads an S3 object with HeadObject and ranged GetObject.
type s3Backend struct {
	client *s3Client
	bucket string
	key    string
	name   string
}

// newS3Client makes a client with the standard credential chain and region
// resolution, or anonymous with NoSignRequest; an endpoint (the option or
// AWS_ENDPOINT_URL) implies path-style addressing. The SDK's retryer is
// off: reads are retried by this package (see retrier). The SDK builds the
// HTTP client itself (so that AWS_CA_BUNDLE applies), with this package's
// timeouts, unless Options.Transport is set. Unless Options.Region is set,
// the client moves to the bucket's own region when S3 answers that a
// request went to the wrong one (see s3Client.reroute).
func newS3Client(ctx context.Context, opts *Options, st *counters) (*s3Client, error) {
	lo := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
	}
	if opts.Transport == nil {
		lo = append(lo, config.WithHTTPClient(awshttp.NewBuildableClient().
			WithDialerOptions(func(d *net.Dialer) { d.Timeout = opts.connectTimeout() }).
			WithTransportOptions(func(tr *http.Transport) {
				tr.TLSHandshakeTimeout = opts.connectTimeout()
				tr.ResponseHeaderTimeout = opts.stallTimeout()
				tr.MaxIdleConns = 2 * opts.maxRequests()
				tr.MaxIdleConnsPerHost = opts.maxRequests()
				tr.DisableCompression = true
			})))
	}
	if opts.Region != "" {
		lo = append(lo, config.WithRegion(opts.Region))
	}
	if opts.NoSignRequest {
		lo = append(lo, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		return nil, fmt.Errorf("remote: s3 configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	c := &s3Client{region: cfg.Region, fixed: opts.Region != ""}
	c.make = func(region string) *s3.Client {
		return s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.Region = region
			if opts.EndpointURL != "" {
				o.BaseEndpoint = aws.String(opts.EndpointURL)
			}
			if o.BaseEndpoint != nil {
				o.UsePathStyle = true
			}
			// S3-compatible stores may not know the newer checksum headers.
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
			inner := o.HTTPClient
			if opts.Transport != nil {
				inner = &http.Client{Transport: opts.Transport}
			}
			o.HTTPClient = &countingClient{c: inner, st: st}
		})
	}
	c.Client = c.make(c.region)
	return c, nil
}

// countingClient counts the requests of an SDK HTTP client and the body
// bytes of their responses.
type countingClient struct {
	c  s3.HTTPClient
	st *counters
}

func (c *countingClient) Do(req *http.Request) (*http.Response, error) {
	c.st.requests.Add(1)
	return c.st.countBody(c.c.Do(req))
}

func newS3(ctx context.Context, loc Location, opts *Options, st *counters) (*s3Backend, error) {
	client, err := newS3Client(ctx, opts, st)
	if err != nil {
		return nil, err
	}
	return &s3Backend{client: client, bucket: loc.Bucket, key: loc.Key, name: loc.String()}, nil
}

// close does nothing: the SDK's client keeps its idle connections until
// it is collected.
func (b *s3Backend) close() {}

func (b *s3Backend) stat(ctx context.Context) (Identity, bool, error) {
	in := &s3.HeadObjectInput{Bucket: &b.bucket, Key: &b.key}
	out, err := b.client.HeadObject(ctx, in)
	if err != nil {
		var moved bool
		if moved, err = b.client.reroute(ctx, b.bucket, err); moved {
			out, err = b.client.HeadObject(ctx, in)
		}
	}
	if err != nil {
		return Identity{}, false, s3Error(ctx, b.name, err)
	}
	id := Identity{Name: b.name, Size: aws.ToInt64(out.ContentLength), ETag: aws.ToString(out.ETag)}
	if out.LastModified != nil {
		id.LastModified = *out.LastModified
	}
	if out.ContentLength == nil {
		return id, false, fmt.Errorf("remote: %s: HeadObject gave no size", b.name)
	}
	return id, true, nil
}

func (b *s3Backend) get(ctx context.Context, r getRequest) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{Bucket: &b.bucket, Key: &b.key}
	if r.end >= 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", r.off, r.end-1))
	} else {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", r.off))
	}
	if r.id.ETag != "" {
		in.IfMatch = aws.String(r.id.ETag)
	} else if !r.id.LastModified.IsZero() {
		in.IfUnmodifiedSince = aws.Time(r.id.LastModified)
	}
	out, err := b.client.GetObject(ctx, in)
	if err != nil {
		return nil, s3Error(ctx, b.name, err)
	}
	if et := aws.ToString(out.ETag); et != "" && r.id.ETag != "" && et != r.id.ETag {
		out.Body.Close()
		return nil, fmt.Errorf("%w: %s: ETag %s, was %s", ErrChanged, b.name, et, r.id.ETag)
	}
	start, _, total, err := parseContentRange(aws.ToString(out.ContentRange))
	if err != nil || start != r.off || (total >= 0 && total != r.id.Size) {
		out.Body.Close()
		return nil, fmt.Errorf("%w: %s: Content-Range %q does not answer bytes %d- of %d",
			ErrChanged, b.name, aws.ToString(out.ContentRange), r.off, r.id.Size)
	}
	return out.Body, nil
}

// s3Error maps an SDK error to this package's errors by HTTP status; an
// error without a response (connection refused, reset) is retryable.
func s3Error(ctx context.Context, name string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var wr *wrongRegionError
	if errors.As(err, &wr) {
		return fmt.Errorf("%w %s", s3Error(ctx, name, wr.err), wr.note())
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		retryAfter := ""
		if re.Response != nil {
			retryAfter = re.Response.Header.Get("Retry-After")
		}
		e := statusError(name, re.HTTPStatusCode(), retryAfter)
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() != "" {
			e = withDetail(e, ae.ErrorCode())
		}
		return e
	}
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		err = oe.Err
	}
	return transportError(fmt.Errorf("remote: %s: %w", name, err))
}

// withDetail appends the server's error code to a status error.
func withDetail(err error, code string) error {
	var re *retryableError
	if errors.As(err, &re) {
		return &retryableError{err: fmt.Errorf("%w: %s", re.err, code), after: re.after}
	}
	return fmt.Errorf("%w: %s", err, code)
}

// Put stores body (size bytes) at the location: an S3 object (PutObject,
// with the SDK's standard retries since body is seekable) or a local file
// (written beside it and renamed). HTTP locations fail with ErrUnsupported.
func Put(ctx context.Context, location string, body io.ReadSeeker, size int64, opts Options) error {
	loc, err := ParseLocation(location)
	if err != nil {
		return err
	}
	switch loc.Scheme {
	case "file":
		return putFile(loc.Path, body)
	case "s3":
		client, err := newS3Client(ctx, &opts, &counters{})
		if err != nil {
			return err
		}
		start, err := body.Seek(0, io.SeekCurrent)
		if err != nil {
			return fmt.Errorf("remote: upload %s: %w", loc, err)
		}
		put := func() error {
			if _, err := body.Seek(start, io.SeekStart); err != nil {
				return err
			}
			_, err := client.PutObject(ctx, &s3.PutObjectInput{
				Bucket:        &loc.Bucket,
				Key:           &loc.Key,
				Body:          body,
				ContentLength: aws.Int64(size),
				ContentType:   aws.String("application/octet-stream"),
			}, func(o *s3.Options) {
				o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
					so.MaxAttempts = opts.retries() + 1
					so.MaxBackoff = opts.maxBackoff()
				})
			})
			return err
		}
		err = put()
		if err != nil {
			var moved bool
			if moved, err = client.reroute(ctx, loc.Bucket, err); moved {
				err = put()
			}
		}
		if err != nil {
			return fmt.Errorf("remote: upload: %w", s3Error(ctx, loc.String(), err))
		}
		return nil
	}
	return fmt.Errorf("%w: %s: cannot upload over %s", ErrUnsupported, loc, loc.Scheme)
}
