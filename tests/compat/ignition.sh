#!/usr/bin/env bash
# ignition.sh — keel provision validate against ignition-validate (Debian's ignition, which knows
# spec 3.0.0 to 3.3.0) on every config in tests/compat/ignition/. They must agree: the same
# verdict, and for an invalid config the same JSON path ($.storage.files.0.path there is
# storage.files[0].path here). The exceptions are listed below, each with why; the file name says
# which list a config belongs to:
#   v-*  valid, i-*  invalid         both must agree (verdict and path)
#   u-*  fields keel does not support: ignition-validate accepts, keel refuses them by name
#   s-*  keel is stricter: ignition-validate accepts (or only warns), keel refuses, naming the field
#   x-*  keel's extension (file: sources): ignition-validate refuses the scheme, keel accepts
#   n-*  spec 3.4.0/3.5.0, newer than the oracle (it must say so); keel's verdict is in the name
set -u
: "${KEEL:?}" "${KEEL_SRC:?}"
[ -f "$KEEL_SRC/tests/compat/lib.sh" ] && . "$KEEL_SRC/tests/compat/lib.sh"
dir=$KEEL_SRC/tests/compat/ignition
if ! command -v ignition-validate >/dev/null; then
	echo "FAIL: ignition: ignition-validate missing (Debian package ignition)"
	exit 0
fi

# The fields keel declares unsupported, and the path keel must name when refusing each config.
declare -A UNSUPPORTED=(
	[u-disks.ign]=storage.disks                           # partitions are made when the image is built
	[u-filesystems.ign]=storage.filesystems               # the host's filesystems are fixed by the image
	[u-raid.ign]=storage.raid
	[u-luks.ign]=storage.luks
	[u-proxy.ign]=ignition.proxy
	[u-s3.ign]=storage.files[0].contents.source           # s3:, gs:, arn:, tftp: sources
	[u-tftp.ign]=ignition.config.merge[0].source
)
# Where keel refuses what Ignition accepts or only warns about.
declare -A STRICTER=(
	[s-unknown-key.ign]=storage.files[0].permissions      # Ignition warns "Unused key"; keel fails closed
	[s-field-of-newer-spec.ign]=kernelArguments           # a 3.3.0 field in a 3.2.0 config: Ignition warns
	[s-setuid-3.3.ign]=storage.files[0].mode              # Ignition warns; set-id bits only from 3.4.0
	[s-user-name-colon.ign]=passwd.users[0].name          # would inject an /etc/passwd entry
	[s-unit-name-slash.ign]=systemd.units[0].name         # would write outside /etc/systemd/system
	[s-header-newline.ign]=storage.files[0].contents.httpHeaders[0].value  # header injection
	[s-ssh-key-newline.ign]=passwd.users[0].sshAuthorizedKeys[0]            # key injection
	[s-hash-nonhex.ign]=storage.files[0].contents.verification.hash         # can never match
	[s-dup-json-key.ign]=/storage/files/0                 # Go keeps the last duplicate; keel refuses
	[s-mask-with-contents.ign]=systemd.units[0].contents  # the mask would hide the contents
)
# An invalid config where both refuse but name different places (both right).
declare -A PATH_DIFFERS=(
	[i-dup-path.ign]="keel names the second of the two entries, Ignition the first"
)

n=0
for f in "$dir"/*.ign; do
	name=${f##*/}
	n=$((n + 1))
	oout=$(ignition-validate "$f" 2>&1)
	orc=$?
	kout=$("$KEEL" provision validate "$f" 2>&1)
	krc=$?
	kmsg=$(printf '%s' "$kout" | head -1 | sed "s|^keel provision: $f: ||")
	opath=$(printf '%s' "$oout" | grep -m1 '^error at \$\.' | sed -E 's/^error at \$\.([^,]*),.*/\1/; s/\.([0-9]+)/[\1]/g')
	why=""
	case $name in
	v-*)
		[ $orc = 0 ] && [ $krc = 0 ] || why="valid: ignition-validate $orc, keel $krc ($kmsg)" ;;
	i-*)
		if [ $orc != 1 ] || [ $krc != 1 ]; then
			why="invalid: ignition-validate $orc, keel $krc"
		elif [ -n "$opath" ] && [ "${kmsg#"$opath:"}" = "$kmsg" ] && [ -z "${PATH_DIFFERS[$name]:-}" ]; then
			why="ignition-validate names $opath, keel: $kmsg"
		fi ;;
	u-*)
		want=${UNSUPPORTED[$name]:-}
		if [ -z "$want" ]; then why="not listed as unsupported"
		elif [ $orc != 0 ]; then why="ignition-validate refuses it ($orc): not a keel exception"
		elif [ $krc != 1 ] || [ "${kmsg#"$want: "}" = "$kmsg" ] || ! grep -q 'not supported by keel' <<<"$kmsg"; then
			why="keel must refuse $want by name: $krc $kmsg"
		fi ;;
	s-*)
		want=${STRICTER[$name]:-}
		if [ -z "$want" ]; then why="not listed as stricter"
		elif [ $orc != 0 ] || grep -q '^error' <<<"$oout"; then why="ignition-validate refuses it too: move it to i-"
		elif [ $krc != 1 ] || ! grep -qF "$want" <<<"$kmsg"; then why="keel must refuse it naming $want: $krc $kmsg"
		fi ;;
	x-*)
		if [ $orc != 1 ] || ! grep -q 'invalid url scheme' <<<"$oout" || [ $krc != 0 ]; then
			why="extension: ignition-validate $orc, keel $krc ($kmsg)"
		fi ;;
	n-valid-* | n-invalid-*)
		w=0; [ "${name#n-invalid}" != "$name" ] && w=1
		if ! grep -q 'unsupported config version' <<<"$oout"; then why="the oracle knows this version now: compare it"
		elif [ $krc != $w ]; then why="keel $krc, expected $w ($kmsg)"
		fi ;;
	*) why="unknown prefix" ;;
	esac
	if [ -z "$why" ]; then
		echo "PASS: ignition: $name"
	else
		echo "FAIL: ignition: $name: $why"
	fi
done
for k in "${!UNSUPPORTED[@]}" "${!STRICTER[@]}" "${!PATH_DIFFERS[@]}"; do
	[ -e "$dir/$k" ] || echo "FAIL: ignition: listed $k is not in the corpus"
done
[ $n -ge 40 ] && echo "PASS: ignition: corpus of $n configs" || echo "FAIL: ignition: corpus has only $n configs"
