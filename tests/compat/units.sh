#!/usr/bin/env bash
# tests/compat/units.sh — `keel init verify` against `systemd-analyze verify` (systemd 252, the
# oracle) on the unit files that Debian packages of container-host software ship.
#
# The packages are fetched with `apt-get download` and unpacked with `dpkg-deb -x` into
# build/compat-units/ (cached: a second run fetches nothing). Every regular .service, .socket and
# .timer file below lib/systemd/system and usr/lib/systemd/system is checked (links to /dev/null
# are masks, other links aliases: skipped), and a set of forged units (tests/compat/units/) that
# systemd rejects. Rules:
#   - systemd accepts (nothing on stderr but a missing executable or a missing unit named as a
#     dependency — this machine has neither the packages' programs nor their other units):
#     keel accepts, or refuses with reasons that each name a directive from REFUSED below (the
#     README's "refused, and why" table);
#   - systemd rejects: keel rejects;
#   - at most 5 % of the package units are refused.
# The last line gives the numbers.
set -u
: "${KEEL:?}" "${KEEL_SRC:?}"
SELF=$(readlink -f "$0")
. "$(dirname "$SELF")/lib.sh"
compat_init units
need systemd-analyze apt-get dpkg-deb || exit 0

# Directives keel refuses by name (README: "Refused, and why"). A refusal naming anything else
# where systemd accepts the unit is a disagreement. Socket and timer units are loaded and run
# (svc_socket.h, svc_timer.h).
REFUSED="[Path] [Mount] ListenSpecial ListenNetlink ListenMessageQueue ListenUSBFunction
SocketProtocol ExecStartPre ExecStartPost ExecStopPre ExecStopPost SmackLabel SmackLabelIPIn SmackLabelIPOut
MessageQueueMaxMessages MessageQueueMessageSize PassPacketInfo Writable FlushPending SELinuxContextFromNet
WakeSystem OnClockChange OnTimezoneChange KeyringMode DynamicUser IPAddressDeny IPAddressAllow
BusName Type=dbus Type=notify-reload LimitCPU LimitRTTIME LimitNICE LimitRTPRIO PrivateUsers
RestrictFileSystems SystemCallLog SecureBits NoExecPaths ExecPaths RootDirectory RootImage MountFlags
SELinuxContext AppArmorProfile PAMName LoadCredential SetCredential IPIngressFilterPath
IPEgressFilterPath SocketBindAllow SocketBindDeny RestrictNetworkInterfaces"

units_corpus || exit 0
cache=$UNITS_CACHE

# systemd's verdict on FILE: "ok" or what it said (missing programs and units filtered out).
sd_verdict() {
	local said
	said=$(systemd-analyze verify --man=no "$1" 2>&1 >/dev/null |
		grep -v -e 'is not executable: No such file or directory' -e 'Unit .* not found\.' \
			-e 'Unit uses KillMode=none\. This is unsafe' -e '^$')
	[ -z "$said" ] && echo ok || echo "$said" | head -3 | tr '\n' ' '
}

# check FILE EXPECT: EXPECT "pkg" (a package's unit) or "bad" (a forged unit systemd rejects).
declare -A why=()
n=0 n_ok=0 n_ref=0 n_bad=0 n_agree=0 n_svc=0
check() {
	local f=$1 kind=$2 sd kout krc line key ok=1
	sd=$(sd_verdict "$f")
	kout=$("$KEEL" init verify "$f" 2>&1 >/dev/null)
	krc=$?
	if [ "$kind" = bad ]; then
		[ "$sd" = ok ] && { fail "forged ${f##*/}: systemd-analyze accepts it; the forgery proves nothing"; return; }
		if [ $krc = 1 ] && [ -n "$kout" ]; then
			pass "forged ${f##*/}: systemd rejects ($sd), keel too: $(echo "$kout" | head -1)"
		else
			fail "forged ${f##*/}: systemd rejects ($sd); keel exit $krc: $kout"
		fi
		return
	fi
	n=$((n + 1))
	case $f in *.service) n_svc=$((n_svc + 1)) ;; esac
	if [ "$sd" != ok ]; then
		if [ $krc = 1 ]; then n_agree=$((n_agree + 1)); pass "${f##*/}: both reject";
		else fail "${f##*/}: systemd rejects ($sd), keel exit $krc"; fi
		n_bad=$((n_bad + 1))
		return
	fi
	if [ $krc = 0 ]; then
		[ -z "$kout" ] || { fail "${f##*/}: keel accepts but says: $kout"; return; }
		n_ok=$((n_ok + 1)) n_agree=$((n_agree + 1))
		pass "${f##*/}: accepted by both"
		return
	fi
	[ $krc = 1 ] && [ -n "$kout" ] || { fail "${f##*/}: keel exit $krc: $kout"; return; }
	while IFS= read -r line; do
		key=$(grep -o '[^ ]* is not supported:' <<<"$line" | head -1)
		key=${key% is not supported:}
		key=${key%=}
		if [ -z "$key" ] || ! grep -qwF -- "$key" <<<"$(tr ' \n' '\n\n' <<<"$REFUSED")"; then
			ok=0
			fail "${f##*/}: systemd accepts it; keel: $line"
		else
			why[$key]=$((${why[$key]:-0} + 1))
		fi
	done <<<"$kout"
	[ $ok = 1 ] && { n_ref=$((n_ref + 1)) n_agree=$((n_agree + 1)); pass "${f##*/}: refused by name: $(echo "$kout" | head -1)"; }
}

while IFS= read -r f; do
	check "$f" pkg
done < <(find "$cache/root/lib/systemd/system" "$cache/root/usr/lib/systemd/system" -maxdepth 1 -type f \
	\( -name '*.service' -o -name '*.socket' -o -name '*.timer' \) 2>/dev/null | sort)
for f in "$KEEL_SRC"/tests/compat/units/*; do
	check "$f" bad
done

npk=$(ls "$cache"/debs/*.deb | wc -l)
[ "$n_svc" -ge 40 ] && [ "$npk" -ge 20 ] && pass "corpus: $n_svc services from $npk packages" ||
	fail "corpus too small: $n_svc services from $npk packages (want >= 40 from >= 20)"
reasons=$(for k in "${!why[@]}"; do echo "$k ${why[$k]}"; done | sort -k2,2nr -k1,1 | head -12 | tr '\n' ',')
# The acceptance line of issue 10: at most 5 % of all files refused.
if [ $((n_ref * 100)) -le $((n * 5)) ] && [ "$n" -ge 40 ]; then
	pass "at most 5 % refused: $n_ref of $n"
else
	fail "more than 5 % refused: $n_ref of $n (${reasons%,})"
fi
echo "units: $n unit files ($n_svc services) from $npk packages: $n_ok accepted, $n_ref refused by name," \
	"$n_bad rejected by" \
	"systemd; agreement with systemd-analyze $n_agree/$n; refusals: ${reasons%,}"
