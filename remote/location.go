package remote

import (
	"fmt"
	"net/url"
	"strings"
)

// Location is a parsed archive location: a local path, an http(s) URL or
// an S3 object.
type Location struct {
	// Scheme is "file", "http", "https" or "s3".
	Scheme string
	// Path is the local path (Scheme "file").
	Path string
	// URL is the full URL, credentials and query included (http, https).
	URL *url.URL
	// Bucket and Key name the S3 object (Scheme "s3").
	Bucket, Key string
}

// IsRemote reports whether s names a remote location (http://, https:// or
// s3://) rather than a local path.
func IsRemote(s string) bool {
	i := strings.Index(s, "://")
	if i < 0 {
		return false
	}
	switch strings.ToLower(s[:i]) {
	case "http", "https", "s3":
		return true
	}
	return false
}

// ParseLocation parses s. A string without a remote scheme is a local path.
func ParseLocation(s string) (Location, error) {
	if !IsRemote(s) {
		if s == "" {
			return Location{}, fmt.Errorf("%w: empty", ErrLocation)
		}
		return Location{Scheme: "file", Path: s}, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		// url.Error repeats the URL, credentials included: keep only the cause.
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err
		}
		return Location{}, fmt.Errorf("%w: %s: %v", ErrLocation, redact(s), err)
	}
	l := Location{Scheme: strings.ToLower(u.Scheme)}
	switch l.Scheme {
	case "http", "https":
		if u.Host == "" {
			return Location{}, fmt.Errorf("%w: %s: no host", ErrLocation, redact(s))
		}
		l.URL = u
	case "s3":
		l.Bucket = u.Host
		l.Key = strings.TrimPrefix(u.Path, "/")
		if l.Bucket == "" || l.Key == "" || strings.HasSuffix(l.Key, "/") {
			return Location{}, fmt.Errorf("%w: %s: want s3://BUCKET/KEY", ErrLocation, redact(s))
		}
		if u.User != nil || u.RawQuery != "" {
			return Location{}, fmt.Errorf("%w: %s: s3 locations take no credentials or query", ErrLocation, redact(s))
		}
	}
	return l, nil
}

// String returns the location for messages and cache keys: without user
// credentials, query (which may carry a signature) or fragment.
func (l Location) String() string {
	switch l.Scheme {
	case "file":
		return l.Path
	case "s3":
		return "s3://" + l.Bucket + "/" + l.Key
	case "http", "https":
		u := *l.URL
		u.User = nil
		u.RawQuery = ""
		u.ForceQuery = false
		u.Fragment = ""
		u.RawFragment = ""
		return u.String()
	}
	return ""
}

// WithSuffix returns the location of the object whose name is this one's
// plus suffix (such as an index beside its archive). A URL keeps its
// query, since some servers carry access tokens in it.
func (l Location) WithSuffix(suffix string) Location {
	switch l.Scheme {
	case "file":
		l.Path += suffix
	case "s3":
		l.Key += suffix
	case "http", "https":
		u := *l.URL
		u.Path += suffix
		if u.RawPath != "" {
			u.RawPath += url.PathEscape(suffix)
		}
		l.URL = &u
	}
	return l
}

// redact strips what may be secret from a string that failed to parse as
// a URL: everything between "://" and the last "@" before the path, and
// everything from the first "?".
func redact(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		host := rest
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			host = rest[:j]
		}
		if at := strings.LastIndexByte(host, '@'); at >= 0 {
			s = s[:i+3] + rest[at+1:]
		}
	}
	return s
}
