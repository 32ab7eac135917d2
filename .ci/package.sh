#!/usr/bin/env bash
# Builds the Debian package postgresql-15-collatz-ext_<version>_<arch>.deb from
# `cargo pgrx package`: the library, the control file, the install script and every upgrade
# script, with Depends read from what the library links. Prints the path of the .deb.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup >&2
cd "$REPO"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
arch=$(dpkg --print-architecture)
name=postgresql-$PG_MAJOR-collatz-ext
say "packaging $name $version ($arch)"
cargo pgrx package --pg-config "$PG_CONFIG" >&2
built=target/release/collatz_ext-pg$PG_MAJOR
root=target/deb/${name}_${version}_$arch
rm -rf "$root"
mkdir -p "$root/DEBIAN"
cp -a "$built/usr" "$root/"
# The optional companion collatz_ext_cluster (SQL and PL/Proxy only): shipped beside it, but
# only suggested, so that a single server needs no PL/Proxy.
install -m 644 src/cluster/collatz_ext_cluster* "$(dirname "$(find "$root" -name collatz_ext.control -print -quit)")/"
# The shared libraries the extension links, by the Debian packages that hold them
# (PostgreSQL's own symbols come from the server, hence postgresql-15).
libs=$(objdump -p "$root$("$PG_CONFIG" --pkglibdir)/collatz_ext.so" | awk '/NEEDED/ {print $2}')
deps=$(for l in $libs; do dpkg -S "*/$l" 2>/dev/null | head -1 | cut -d: -f1; done | sort -u | paste -sd, | sed 's/,/, /g')
cat > "$root/DEBIAN/control" <<CONTROL
Package: $name
Version: $version
Architecture: $arch
Maintainer: collatz_ext developers <collatz-ext@invalid>
Depends: postgresql-$PG_MAJOR${deps:+, $deps}
Suggests: postgresql-$PG_MAJOR-plproxy
Section: database
Priority: optional
Installed-Size: $(du -sk "$root/usr" | cut -f1)
Description: exact Collatz (3n+1) sequences, statistics and records in PostgreSQL $PG_MAJOR
 collatz_ext computes, stores and analyses Collatz sequences inside the database:
 exact at every size, parallel range analysis, resumable procedures, import and
 export. Install with CREATE EXTENSION collatz_ext; upgrade with
 ALTER EXTENSION collatz_ext UPDATE (every upgrade script is included).
 The companion collatz_ext_cluster (CREATE EXTENSION collatz_ext_cluster CASCADE,
 needs postgresql-$PG_MAJOR-plproxy) spreads analysis and storage over several servers.
CONTROL
dpkg-deb --build --root-owner-group "$root" "target/deb/" >&2
echo "$REPO/target/deb/${name}_${version}_$arch.deb"
