// Package remote opens an archive's location — a local path, an http:// or
// https:// URL, or s3://BUCKET/KEY — as an io.ReaderAt with an identity
// (size, ETag, Last-Modified and a display name free of credentials). It
// knows nothing of gzip or tar.
//
// Design. An Object splits the remote object into fixed-size blocks held in
// a bounded least-recently-used cache. ReadAt waits for the blocks it
// touches; a missing run of blocks is fetched by one range request, so
// concurrent readers have several ranges in flight (up to
// Options.MaxRequests) over one reused connection pool; for several
// readers (Options.Readers) its connections are dialled while the
// identity request is in flight, so that their first burst of requests
// does not wait a handshake each. A reader that moves
// from block to block is detected and the blocks ahead of it are fetched
// before it asks (read-ahead grows with the run, up to Options.ReadAhead
// blocks). A reader that knows its next range announces it (Hint): its first
// blocks are fetched at once, so that extraction's workers find the range of
// their next unit fetched while it waited in their queue, and reads in it
// fetch through to its end and no further. All readers together keep at
// most half the cache fetched ahead and unread, and eviction takes unread
// blocks last, so read-ahead never evicts what is still to be read; the
// default cache grows with Options.Readers, as the ranges of many workers
// share blocks at their ends. A hinted range's first block is fetched from
// the range's start, so that a reader of one member fetches its span and at
// most one block past it; a read of the bytes left out fetches the block
// again. Opening asks for the first byte only (its reply carries the size
// and validators). OpenExpected opens an object on the identity a caller
// remembers (the one its cached index was made for) without waiting for
// that request: ranges announced meanwhile go out with it, conditional on
// the expected identity, and reads hand back bytes only once the server
// confirmed it. Stream reads sequentially without the cache, for a
// one-pass index build.
//
// Every body is read through one resumable reader: a dropped connection or a
// body that stalls for Options.StallTimeout is re-requested from the byte it
// stopped at; connection errors, 429 (honouring Retry-After) and 5xx are
// retried with exponential backoff and full jitter, bounded by
// Options.Retries attempts and Options.RetryTime. Every request after the
// first is conditional on the identity the first one saw (If-Match on a
// strong ETag, else If-Unmodified-Since), and every response's validators
// and Content-Range are checked against it, so an object replaced while it
// is read fails with ErrChanged instead of handing back a mix of old and
// new bytes. A server that answers a range request with the whole body is
// reported as ErrNoRange by ReadAt; Stream still reads it once.
//
// The block cache, read-ahead and resumption are written here because
// net/http and the AWS SDK read whole bodies: neither resumes one nor caches
// ranges. S3 goes through github.com/aws/aws-sdk-go-v2 (credential chain,
// region, signing); its own retryer is turned off for reads so that one
// policy, ours, covers both protocols and resumption. The SDK does not
// follow S3's wrong-region answers (301 PermanentRedirect, 400 for a
// signature of another region), so when no region is given this package
// does as the aws CLI: it takes the bucket's region from
// X-Amz-Bucket-Region (or asks HeadBucket) and signs again for it.
package remote
