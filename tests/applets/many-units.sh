#!/usr/bin/env bash
# many-units.sh ROOT N W — N targets u0000.target… beneath ROOT/etc/systemd/system, each After=
# the W before it (16 names a line), all wanted by multi-user.target. For the ordering test in
# init.test and tests/bench/init.bench.sh.
set -eu
d=$1/etc/systemd/system
mkdir -p "$d/multi-user.target.wants"
awk -v d="$d" -v n="$2" -v w="$3" 'BEGIN {
	for (i = 0; i < n; i++) {
		f = sprintf("%s/u%04d.target", d, i)
		printf "[Unit]\nDescription=unit %d\n", i > f
		line = ""
		for (j = (i > w ? i - w : 0); j < i; j++) {
			line = line sprintf(" u%04d.target", j)
			if (j % 16 == 15) { print "After=" line > f; line = "" }
		}
		if (line != "") print "After=" line > f
		close(f)
	}
}'
cd "$d/multi-user.target.wants"
for f in ../u*.target; do ln -sf "$f" .; done
