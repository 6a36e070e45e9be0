package mount

import (
	"context"
	"time"
)

// Options configures Serve.
type Options struct {
	// Decoders is how many decompression streams are kept for reads (at
	// most this many places of the archive are decoded at once); 0 means
	// DefaultDecoders.
	Decoders int
	// CacheSize bounds the bytes of decompressed, verified data kept for
	// reads (shared by all open files, least recently used dropped
	// first); 0 means DefaultCacheSize.
	CacheSize int64
	// AllowOther lets users other than the mounting one see the files.
	AllowOther bool
	// FSName is the source shown in /proc/mounts (the archive's path if empty).
	FSName string
	// MountOptions are further options for the kernel or fusermount3
	// (-o style, for example "default_permissions").
	MountOptions []string
	// Timeout is how long the kernel caches attributes and entries; 0
	// means DefaultTimeout. The archive is immutable.
	Timeout time.Duration
	// Log, if set, receives notices (members left out) and read errors,
	// one line each. If nil they are dropped.
	Log func(msg string)
	// Debug logs every FUSE request through Log.
	Debug bool

	beforeRead func(context.Context) // tests: called before each read
}

// DefaultDecoders is the number of decoders when Options.Decoders is 0.
const DefaultDecoders = 16

// DefaultCacheSize is the cache size when Options.CacheSize is 0.
const DefaultCacheSize = 32 << 20

// DefaultTimeout is the attribute and entry timeout when Options.Timeout is 0.
const DefaultTimeout = time.Hour

func (o *Options) log(msg string) {
	if o.Log != nil {
		o.Log(msg)
	}
}
