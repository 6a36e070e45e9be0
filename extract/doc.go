// Package extract extracts the members of an indexed tar.gz archive, in
// parallel, the way GNU tar 1.34 "tar -xf" does.
//
// The package plans work over the archive's checkpoints (points in the
// compressed stream where decompression can restart), runs workers that each
// decompress a span of the archive and write the members found in it, and
// writes those members safely: every file system access goes through an
// [os.Root] opened on the destination directory, so no member name, link
// target or existing symbolic link can make it resolve outside that
// directory. The package knows nothing of deflate: decompression is handed
// in by the caller as readers positioned at checkpoints.
//
// A [Writer] creates the members of one archive. It accepts members out of
// archive order from several goroutines at once and still ends with the tree
// GNU tar would leave: for a path named by several members the member with
// the highest sequence number wins, symbolic links and hard links are created
// last (so that no member is ever written through a symbolic link that came
// from the archive), and directory modes and times are set after their
// contents.
//
// Sharded extraction (shard*.go) spreads one extraction over machines that
// never talk to each other: [NewPlan] cuts the stream into runs of
// checkpoint spans of about equal cost, FromIndex with Options.Shards
// writes one shard (members crossing its ends in place, for its own range,
// through index's block checksums), and [Finish] does what happens once —
// directories, links, the metadata of shared files — after every shard
// has recorded itself under the destination.
//
// Creating a file costs what GNU tar's costs: a dirCache keeps the parent
// directories open (a missing one is opened from its cached parent with
// openat(O_DIRECTORY|O_NOFOLLOW), and through the os.Root only for a
// symbolic link, which the root follows only if it stays inside), files are
// written by descriptor, created with their final mode when the umask allows
// it, and chowned only when the owner they got is not the right one: openat,
// pwrite, utimensat and close per small file. Workers take runs of
// consecutive units from one queue, so that they are several units apart
// in the archive and mostly in different directories (the kernel creates
// the files of one directory one at a time, under its lock), and a worker
// that is ahead never waits behind a slower one. Members without data
// (directories, links, empty files) ride in the units in archive order and
// are written by the workers too: the goroutine that plans does no file
// system work, so the queue stays full.
//
// The system calls the Writer needs beyond os.Root (creating a name in an
// open directory without following a link, device nodes, FIFOs, the times
// and owners of symbolic links) are in sys_unix.go and sys_windows.go, one
// small function each; Windows opens directories through the os.Root and
// writes through os.File. What a system cannot do fails per member with
// ErrUnsupported: FIFOs and device nodes on macOS and Windows, owners on
// Windows.
package extract
