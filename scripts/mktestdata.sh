#!/usr/bin/env bash
# Regenerates testdata/*.tar.gz: small real archives from several producers
# that every package's tests read (see testdata/README.md). The tree and all
# times, owners and orders are fixed, so a rerun with the same tools writes
# the same archives. Needs GNU tar, bsdtar, gzip, pigz and bgzip.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$PWD/testdata
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=$work/src
mkdir -p "$src/tree/dir/sub" "$src/tree/empty-dir" "$src/tree/ünïcode-名前"
# Text that compresses into several deflate blocks, and bytes that do not
# compress (stored blocks).
seq 1 4000 | sed 's/$/ the quick brown fox jumps over the lazy dog/' > "$src/tree/dir/text.txt"
awk 'BEGIN { srand(7); split("tar gzip deflate block window index member checkpoint span offset bit header data sparse link", w, " ");
	for (i = 0; i < 30000; i++) printf "%s%s", w[1 + int(rand() * 16)], (i % 12 == 11) ? "\n" : " " }' > "$src/tree/dir/words.txt"
head -c 6000 /dev/urandom > "$work/random" 2>/dev/null
openssl enc -aes-128-ctr -K 00112233445566778899aabbccddeeff -iv 0 -in /dev/zero 2>/dev/null | head -c 6000 > "$src/tree/dir/random.bin" || cp "$work/random" "$src/tree/dir/random.bin"
printf 'hello, tarx\n' > "$src/tree/hello.txt"
: > "$src/tree/empty.txt"
printf 'nested\n' > "$src/tree/dir/sub/nested.txt"
printf 'unicode\n' > "$src/tree/ünïcode-名前/file.txt"
long=$(printf 'long-name-%.0s' {1..12})
printf 'long\n' > "$src/tree/dir/$long.txt"
ln -s ../hello.txt "$src/tree/dir/link-to-hello"
ln "$src/tree/hello.txt" "$src/tree/dir/hardlink-to-hello"
mkfifo "$src/tree/fifo"
chmod 0750 "$src/tree/dir/sub"
chmod 0600 "$src/tree/dir/sub/nested.txt"
chmod 4755 "$src/tree/hello.txt"
# A sparse file: 1 MiB with data at 0 and at 512 KiB.
printf 'start' | dd of="$src/tree/sparse.bin" bs=1 conv=notrunc status=none
printf 'middle' | dd of="$src/tree/sparse.bin" bs=1 seek=524288 conv=notrunc status=none
truncate -s 1M "$src/tree/sparse.bin"
find "$src/tree" -exec touch -h -d '2024-01-02 03:04:05.123456789 UTC' {} +

gnutar() {
	tar -C "$src" --sort=name --owner=0 --group=0 --numeric-owner \
		--mtime='2024-01-02 03:04:05 UTC' "$@" tree
}
gnutar --format=gnu -S -cf "$work/gnu.tar"
gnutar --format=pax -S --pax-option=delete=atime,delete=ctime -cf "$work/pax.tar"
gnutar --format=ustar --exclude=tree/sparse.bin --exclude="tree/dir/$long.txt" -cf "$work/ustar.tar"
(cd "$src" && bsdtar --uid 0 --gid 0 --numeric-owner -cf "$work/bsdtar.tar" tree)

gzip -6 -n -c "$work/gnu.tar" > "$out/gnu-gzip6.tar.gz"
gzip -1 -n -c "$work/ustar.tar" > "$out/ustar-gzip1.tar.gz"
pigz -6 -n -c "$work/pax.tar" > "$out/pax-pigz.tar.gz"
pigz -i -n -b 32 -c "$work/gnu.tar" > "$out/gnu-pigz-i.tar.gz"
bgzip -c "$work/pax.tar" > "$out/pax-bgzip.tar.gz"
gzip -9 -n -c "$work/bsdtar.tar" > "$out/bsdtar-gzip9.tar.gz"
# Two gzip members back to back: the tar split at an arbitrary byte.
head -c 100000 "$work/gnu.tar" | gzip -n -c > "$out/gnu-concat.tar.gz"
tail -c +100001 "$work/gnu.tar" | gzip -n -c >> "$out/gnu-concat.tar.gz"
# The plain tar twins of these archives (gnu.tar, pax.tar, ustar.tar,
# bsdtar.tar) are not written here: testarchive.PlainFixtures gunzips the
# archives above at test time, which gives the same bytes.
ls -l "$out"
