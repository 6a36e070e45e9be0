package remote

import (
	"net/http"
	"time"
)

// Options configures Open. The zero value gives the defaults documented on
// each field.
type Options struct {
	// BlockSize is the unit of fetching and caching (64 KiB if 0). A read
	// fetches whole blocks, so a reader that announced its range (Hint)
	// fetches at most one block more at each end of it; read-ahead and
	// hinted ranges go out as requests of many blocks.
	BlockSize int64
	// CacheSize bounds the bytes of cached blocks (if 0: 32 MiB, or
	// 8 MiB for each of Readers if that is more); blocks being fetched are
	// held until their readers have them.
	CacheSize int64
	// Readers is how many readers will read at once in different places,
	// such as an extraction's workers. The default cache holds a window of
	// read-ahead for each and the blocks their ranges share, so that it
	// does not evict what another reader is still to read.
	Readers int
	// ReadAhead is the most blocks fetched ahead of a sequential reader
	// (2 MiB worth if 0; negative turns read-ahead off).
	ReadAhead int
	// MaxRequests bounds the requests in flight at once (8 if 0).
	MaxRequests int
	// Retries bounds the attempts after a failure before an operation gives
	// up, counted since the last byte received (8 if 0; negative: none).
	Retries int
	// RetryTime bounds the time spent retrying since the last byte
	// received (2 minutes if 0).
	RetryTime time.Duration
	// MinBackoff and MaxBackoff bound the exponential backoff between
	// attempts (100 ms and 10 s if 0); each wait is drawn uniformly below
	// the bound (full jitter), and is at least a server's Retry-After.
	MinBackoff, MaxBackoff time.Duration
	// ConnectTimeout bounds dialling and the TLS handshake (10 s if 0).
	ConnectTimeout time.Duration
	// StallTimeout bounds the wait for response headers and for each
	// further byte of a body (30 s if 0). A stalled body is resumed.
	StallTimeout time.Duration
	// Transport, if set, carries the requests instead of a new
	// http.Transport (for example one that trusts a test server's
	// certificate). Its timeouts are its own; StallTimeout still applies.
	Transport http.RoundTripper

	// NoSignRequest makes S3 requests anonymous (public buckets).
	NoSignRequest bool
	// EndpointURL overrides the S3 endpoint (an S3-compatible store); it
	// implies path-style addressing. AWS_ENDPOINT_URL is honoured too.
	EndpointURL string
	// Region fixes the S3 region of the bucket. If it is empty, requests
	// start in the SDK's region (AWS_REGION, the shared config, else
	// us-east-1) and move to the bucket's own region when S3 answers that
	// they went to the wrong one (301 PermanentRedirect, or 400 for a
	// request signed for another region; the region is taken from
	// X-Amz-Bucket-Region, asking HeadBucket if the answer lacks it).
	Region string
}

func (o *Options) blockSize() int64 { return def(o.BlockSize, 64<<10) }
func (o *Options) cacheBlocks() int {
	return int(max(def(o.CacheSize, max(32<<20, int64(o.Readers)*8<<20))/o.blockSize(), 2))
}
func (o *Options) maxRequests() int              { return def(o.MaxRequests, 8) }
func (o *Options) minBackoff() time.Duration     { return def(o.MinBackoff, 100*time.Millisecond) }
func (o *Options) maxBackoff() time.Duration     { return def(o.MaxBackoff, 10*time.Second) }
func (o *Options) retryTime() time.Duration      { return def(o.RetryTime, 2*time.Minute) }
func (o *Options) connectTimeout() time.Duration { return def(o.ConnectTimeout, 10*time.Second) }
func (o *Options) stallTimeout() time.Duration   { return def(o.StallTimeout, 30*time.Second) }

func (o *Options) readAhead() int {
	if o.ReadAhead < 0 {
		return 0
	}
	return def(o.ReadAhead, int(max(readAheadBytes/o.blockSize(), 1)))
}

func (o *Options) retries() int {
	if o.Retries < 0 {
		return 0
	}
	return def(o.Retries, 8)
}

// readAheadBytes is the default read-ahead of a sequential reader.
const readAheadBytes = 2 << 20

func def[T int | int64 | time.Duration](v, d T) T {
	if v > 0 {
		return v
	}
	return d
}
