package remote

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// s3Client is an SDK client and the region it signs for. When the region
// was not given (Options.Region) but came from the environment, the shared
// config or the us-east-1 default, it may be the wrong one for a bucket:
// then S3 answers 301 PermanentRedirect (a request to another region's
// endpoint) or 400 (signed for another region), and the client moves to the
// bucket's region, as the aws CLI and boto do. The SDK for Go v2 does not
// follow these answers itself.
type s3Client struct {
	*s3.Client
	make   func(region string) *s3.Client
	region string // the region requests are signed for
	fixed  bool   // given by Options.Region: never moved
}

// bucketRegionHeader is the header in which S3 names a bucket's region, on
// HeadBucket answers of any status and on most wrong-region answers.
const bucketRegionHeader = "X-Amz-Bucket-Region"

// reroute inspects the failure err of a request for bucket. If S3 said the
// request went to the wrong region, it finds the bucket's region (from the
// answer's header, else by HeadBucket), moves the client there and reports
// true: the caller repeats the request once. Otherwise it returns err,
// with the bucket's region named if the client may not move.
func (c *s3Client) reroute(ctx context.Context, bucket string, err error) (bool, error) {
	status, header := responseOf(err)
	switch status {
	case http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusBadRequest:
	default:
		return false, err
	}
	region := header.Get(bucketRegionHeader)
	if region == "" {
		region = c.bucketRegion(ctx, bucket)
	}
	if !validRegion(region) || region == c.region {
		return false, err
	}
	if c.fixed {
		return false, &wrongRegionError{err: err, bucket: bucket, region: region, signed: c.region}
	}
	c.region = region
	c.Client = c.make(region)
	return true, nil
}

// wrongRegionError is a request's failure, sent to a region that
// Options.Region fixed, for a bucket in another.
type wrongRegionError struct {
	err                    error
	bucket, region, signed string
}

func (e *wrongRegionError) Error() string { return e.err.Error() + " " + e.note() }
func (e *wrongRegionError) Unwrap() error { return e.err }
func (e *wrongRegionError) note() string {
	return fmt.Sprintf("(bucket %s is in region %s, not %s)", e.bucket, e.region, e.signed)
}

// bucketRegion asks S3 for the bucket's region with HeadBucket: S3 names
// it in every answer, a refusal or a redirect included. It returns "" if
// the answer does not say.
func (c *s3Client) bucketRegion(ctx context.Context, bucket string) string {
	out, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	if err == nil {
		return aws.ToString(out.BucketRegion)
	}
	_, header := responseOf(err)
	return header.Get(bucketRegionHeader)
}

// responseOf returns the HTTP status and headers of an SDK error that
// carries a response; 0 and nil otherwise.
func responseOf(err error) (int, http.Header) {
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil {
		return 0, nil
	}
	return re.HTTPStatusCode(), re.Response.Header
}

// validRegion reports whether s can be a region name. The name becomes
// part of a host name, so nothing else a server sends is followed.
func validRegion(s string) bool {
	if s == "" || len(s) > 40 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}
