#!/usr/bin/env bash
# tests/vm/daemons.sh — real daemons from Debian 12 packages, started by keel init (PID 1) from
# their own, unchanged Debian unit files (issue 10): chrony, openssh-server (ssh.socket: socket
# activation), containerd, prometheus-node-exporter, nftables — put into the slot with their
# libraries by `mkimage --deb` (their /lib/systemd/system units to /usr/lib/systemd/system, their
# /etc conffiles onto STATE). What the packages' maintainer scripts would do comes from the
# first-boot provisioning config (Ignition, on an ISO config drive labelled ignition):
#   users     _chrony, sshd (privilege separation), prometheus (passwd.users, system: true) and
#             core, a key-only login (sshAuthorizedKeys; passwordHash "*": not locked, as sshd
#             without PAM refuses a "!" account even for keys)
#   host keys /etc/ssh/ssh_host_{ed25519,ecdsa,rsa}_key made on the build machine per test run
#             (storage.files, 0600), so the client checks the host key it was given
#   config    /etc/ssh/sshd_config.d/keel.conf (UsePAM no: keel has no PAM; the key file keel
#             provision writes), /etc/chrony/chrony.conf (the time source below)
#   enabled   chrony.service, ssh.socket, containerd.service, prometheus-node-exporter.service,
#             nftables.service ([Install] links made by keel provision)
# Debian's /etc/ssh/sshd_config is what its postinst copies from /usr/share/openssh (on STATE).
# Checked: each unit active; ssh.service inactive until `ssh` from the host logs in through
# ssh.socket (key auth, the host key checked); node-exporter's /metrics through hostfwd;
# `journalctl -u ssh` has sshd's syslog lines and PID 1's (Starting, Started, Reloading, …); `systemctl status chrony` its shape and chronyd's
# lines; `systemctl reload ssh` reaches sshd (SIGHUP) and a second login works after it;
# `systemctl reload chrony` refused (no ExecReload=); `nft list ruleset`; `ctr version`;
# chrony's DevicePolicy=closed from inside its cgroup; chronyd synchronised (chronyc tracking)
# and `keel policy host`'s time.synchronised check passing (adjtimex).
# The network: qemu user networking with restrict=on — the guest reaches nothing but what is
# forwarded, all on the host's 127.0.0.1: hostfwd to the guest's port 22 (ssh) and 9100
# (node-exporter); guestfwd 10.0.2.100:123 (TCP) to `socat - UDP4:127.0.0.1:PORT`, a chronyd on
# the host serving its clock (-x: it never sets it), reached from the guest's chronyd through a
# socat relay (UDP 127.0.0.1:1123 -> TCP 10.0.2.100:123): NTP's packets, unchanged, over the only
# path qemu offers (guestfwd is TCP only). A probe unit reports TEST lines on the console.
VM_SUITE=daemons
. "$(dirname "$0")/lib.sh"

PKGS="chrony openssh-server containerd prometheus-node-exporter nftables procps socat"
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		{ fail "prerequisites" "Debian package $p not installed (build.sh PKGS_TEST)"; exit 0; }
done
for t in ssh ssh-keygen curl socat chronyd xorriso jq busybox; do
	command -v "$t" >/dev/null || { fail "prerequisites" "$t not installed"; exit 0; }
done

# ---- keys, made per run: the client's, and the host keys the provisioning config carries ---------
K=$VM_DIR/keys
mkdir -p "$K"
ssh-keygen -q -t ed25519 -N '' -C keel-test -f "$K/id" &&
	for t in ed25519 ecdsa rsa; do ssh-keygen -q -t $t -N '' -C keel-test-host -f "$K/ssh_host_${t}_key" || exit 1; done ||
	{ fail "ssh keys"; exit 0; }

# ---- the provisioning config ------------------------------------------------------------------------
chrony_conf='# keel test: the host'"'"'s clock over NTP, through the socat relay (see tests/vm/daemons.sh)
server 127.0.0.1 port 1123 iburst minpoll 0 maxpoll 2
driftfile /var/lib/chrony/chrony.drift
logdir /var/log/chrony
makestep 1 3
rtcsync
'
sshd_keel='# keel: no PAM; the keys keel provision writes
UsePAM no
PasswordAuthentication no
AuthorizedKeysFile .ssh/authorized_keys .ssh/authorized_keys.d/ignition
'
file() { # PATH MODE FILE -> an Ignition storage.files entry
	jq -n --arg p "$1" --argjson m "$2" --arg s "data:;base64,$(base64 -w0 < "$3")" \
		'{path: $p, mode: $m, overwrite: true, contents: {source: $s}}'
}
printf '%s' "$chrony_conf" > "$K/chrony.conf"
printf '%s' "$sshd_keel" > "$K/keel.conf"
{
	for t in ed25519 ecdsa rsa; do
		file "/etc/ssh/ssh_host_${t}_key" 384 "$K/ssh_host_${t}_key"
		file "/etc/ssh/ssh_host_${t}_key.pub" 420 "$K/ssh_host_${t}_key.pub"
	done
	file /etc/ssh/sshd_config.d/keel.conf 420 "$K/keel.conf"
	file /etc/chrony/chrony.conf 420 "$K/chrony.conf"
} | jq -s --arg key "$(cat "$K/id.pub")" '{
	ignition: {version: "3.3.0"},
	passwd: {users: [
		{name: "_chrony", system: true, gecos: "Chrony daemon", homeDir: "/var/lib/chrony", noCreateHome: true, shell: "/usr/sbin/nologin"},
		{name: "sshd", system: true, homeDir: "/run/sshd", noCreateHome: true, shell: "/usr/sbin/nologin"},
		{name: "prometheus", system: true, gecos: "Prometheus daemon", homeDir: "/var/lib/prometheus", noCreateHome: true, shell: "/usr/sbin/nologin"},
		{name: "core", passwordHash: "*", shell: "/bin/sh", sshAuthorizedKeys: [$key]}]},
	storage: {files: .},
	systemd: {units: [
		{name: "chrony.service", enabled: true}, {name: "ssh.socket", enabled: true},
		{name: "containerd.service", enabled: true}, {name: "prometheus-node-exporter.service", enabled: true},
		{name: "nftables.service", enabled: true}]}}' > "$K/config.ign" || { fail "provisioning config"; exit 0; }
"$KEEL" provision validate "$K/config.ign" >/dev/null && pass "the provisioning config validates (keel provision validate)" ||
	{ fail "the provisioning config validates" "$("$KEEL" provision validate "$K/config.ign" 2>&1)"; exit 0; }
mkdir -p "$VM_DIR/iso" && cp "$K/config.ign" "$VM_DIR/iso/config.ign" &&
	xorriso -as mkisofs -quiet -V ignition -r -J -o "$VM_DIR/ignition.iso" "$VM_DIR/iso" 2>/dev/null ||
	{ fail "ISO config drive"; exit 0; }

# ---- the image: the packages, busybox for the probe, Debian's sshd_config, the test units ----------
fx=$VM_CACHE/fx-daemons
rm -rf "$fx" && mkdir -p "$fx/bin" && cp /bin/busybox "$fx/bin/busybox" && ln -s busybox "$fx/bin/sh" ||
	{ fail "fixtures"; exit 0; }
st=$VM_CACHE/fx-daemons-state
rm -rf "$st" && mkdir -p "$st/etc/ssh" "$st/etc/systemd/system/multi-user.target.wants" "$st/etc/keel-test" &&
	cp /usr/share/openssh/sshd_config "$st/etc/ssh/sshd_config" && cp -a "$KEEL_SRC/tests/vm/fixtures/daemons-state/." "$st/" ||
	{ fail "state fixtures"; exit 0; }
for u in keel-test-net.service keel-test-ntp-relay.service keel-test-probe.service; do
	ln -s ../$u "$st/etc/systemd/system/multi-user.target.wants/$u"
done
# the modules stage 1 loads, and the NIC's and nftables' (the slot carries no modules)
mods=$VM_CACHE/daemons-modules
{ cat "$KEEL_SRC/config/initramfs/modules"; printf 'virtio_net\nnf_tables\n'; } > "$mods"
VM_INITRD=$(vm_initramfs --modules "$mods") || { fail "initramfs with virtio_net and nf_tables"; exit 0; }
debs=()
for p in $PKGS; do debs+=(--deb "$p"); done
vm_image daemons --extra-usr "$fx" --extra-state "$st" "${debs[@]}" --slot-b none --slot-mb 200 --state-mb 96 \
	> /dev/null || { fail "image daemons (mkimage --deb ${PKGS// /, })"; exit 0; }
pass "image: ${PKGS// /, } with their libraries in the slot (mkimage --deb)"
disk=$(vm_copy daemons)

# ---- the host side: ports on 127.0.0.1, the NTP server ---------------------------------------------
port() { local p; while :; do p=$((20000 + RANDOM % 20000)); ! ss -Hltun "sport = :$p" | grep -q . && echo $p && return; done; }
sshp=$(port) nep=$(port) ntpp=$(port)
cat > "$VM_DIR/host-chrony.conf" <<EOF
port $ntpp
bindaddress 127.0.0.1
allow 127.0.0.1
local stratum 8
cmdport 0
bindcmdaddress /
pidfile $VM_DIR/host-chronyd.pid
EOF
chronyd -x -d -u root -f "$VM_DIR/host-chrony.conf" > "$VM_DIR/host-chronyd.log" 2>&1 &
ntp_pid=$!
trap 'kill $ntp_pid 2>/dev/null; _vm_cleanup' EXIT

export VM_NET="user,restrict=on,ipv6=off,hostfwd=tcp:127.0.0.1:$sshp-:22,hostfwd=tcp:127.0.0.1:$nep-:9100,guestfwd=tcp:10.0.2.100:123-cmd:socat - UDP4:127.0.0.1:$ntpp"
VM_DRIVES=$VM_DIR/ignition.iso KEEL_VM_MEM=${KEEL_VM_MEM:-1024} vm_start "$disk"
t() { grep -a "^TEST $1" "$VM_LOG" | tr -d '\r' | sed "s/^TEST $1//"; }
if ! vm_wait '^TEST ready' 420; then
	fail "the daemons came up (TEST ready)"
	vm_log_tail 60
	exit 0
fi
grep -aq 'config from config drive' "$VM_LOG" && pass "stage 1 provisioned from the config drive" || fail "provisioning"
for u in chrony.service containerd.service prometheus-node-exporter.service nftables.service ssh.socket; do
	[ "$(t "active $u ")" = active ] && pass "$u active, from Debian's own unit file" ||
		fail "$u active" "$(t "active $u ") $(t "why $u: " | head -8 | tr '\n' '|')"
done
[ "$(t 'active ssh.service ')" = inactive ] && pass "ssh.service not started before the first connection (socket activation)" ||
	fail "ssh.service before the connection" "$(t 'active ssh.service ')"

# ssh: through the socket, with the provisioned host key checked
printf '[127.0.0.1]:%s %s\n' "$sshp" "$(cut -d' ' -f1-2 "$K/ssh_host_ed25519_key.pub")" > "$K/known_hosts"
sshcmd=(ssh -F /dev/null -p "$sshp" -i "$K/id" -o IdentitiesOnly=yes -o UserKnownHostsFile="$K/known_hosts"
	-o StrictHostKeyChecking=yes -o HostKeyAlgorithms=ssh-ed25519 -o BatchMode=yes -o ConnectTimeout=60 core@127.0.0.1)
out=$(timeout 180 "${sshcmd[@]}" 'echo "SSH-OK user=$(id -un) shell=$SHELL"; : > ~/ssh-was-here' 2> "$VM_DIR/ssh.err")
[ "$out" = "SSH-OK user=core shell=/bin/sh" ] &&
	pass "ssh core@127.0.0.1 (hostfwd to the guest's port 22): key login, the provisioned ed25519 host key verified" ||
	fail "ssh" "$out $(tail -3 "$VM_DIR/ssh.err" | tr '\n' '|')"
# node-exporter through hostfwd
m=$(curl -s --max-time 60 "http://127.0.0.1:$nep/metrics")
echo "$m" | grep -q '^node_uname_info{.*nodename=' && echo "$m" | grep -q '^node_time_seconds ' &&
	pass "prometheus-node-exporter answers on port 9100 ($(echo "$m" | grep -c '^node_') node_ samples, node_uname_info among them)" ||
	fail "node-exporter metrics" "$(echo "$m" | head -3 | tr '\n' '|')"

trap 'cp "$VM_LOG" "$VM_CACHE/daemons.console.log" 2>/dev/null; kill $ntp_pid 2>/dev/null; _vm_cleanup' EXIT
if vm_wait '^TEST reloaded' 300; then
	out=$(timeout 180 "${sshcmd[@]}" 'echo "SSH-OK user=$(id -un)"; : > ~/ssh-again' 2> "$VM_DIR/ssh2.err")
	[ "$out" = "SSH-OK user=core" ] && pass "ssh again after the reload: ssh.socket started ssh.service anew" ||
		fail "ssh after the reload" "$out $(tail -3 "$VM_DIR/ssh2.err" | tr '\n' '|')"
fi
if ! vm_wait '^TEST done' 400; then
	fail "the probe ran to the end"
	vm_log_tail 60
	exit 0
fi
[ "$(t 'after-ssh ssh.service ')" = active ] && pass "ssh.service active after the connection: started by ssh.socket" ||
	fail "ssh.service after the connection" "$(t 'after-ssh ssh.service ')"
j=$(t 'journal-ssh: ')
echo "$j" | grep -Eq '^[A-Z][a-z]{2} [0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [^ ]+ sshd\[[0-9]+\]: Accepted publickey for core from 10\.0\.2\.2 port [0-9]+ ssh2: ED25519 SHA256:' &&
	pass "journalctl -u ssh: sshd's syslog lines (/dev/log) as journal records, systemd's short line 'MMM DD HH:MM:SS HOST sshd[PID]: Accepted publickey for core …'" ||
	fail "journalctl -u ssh" "$(echo "$j" | head -8 | tr '\n' '|')"
# systemd's own records in the unit's journal (systemd 252: job.c, unit.c), from PID 1
M='^[A-Z][a-z]{2} [0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [^ ]+ systemd\[1\]: '
echo "$j" | grep -Eq "${M}Starting ssh\.service - OpenBSD Secure Shell server\.\.\.$" &&
	echo "$j" | grep -Eq "${M}Started ssh\.service - OpenBSD Secure Shell server\.$" &&
	pass "journalctl -u ssh: PID 1's records as systemd writes them: 'systemd[1]: Starting ssh.service - OpenBSD Secure Shell server...', 'systemd[1]: Started ssh.service - …'" ||
	fail "journalctl -u ssh: systemd's records" "$(echo "$j" | grep 'systemd\[' | head -4 | tr '\n' '|')"
s=$(t 'status-chrony: ')
echo "$s" | grep -Eq '^● chrony\.service - chrony, an NTP client/server$' &&
	echo "$s" | grep -Eq '^     Loaded: loaded \(/usr/lib/systemd/system/chrony\.service; enabled; preset: enabled\)$' &&
	echo "$s" | grep -Eq '^     Active: active \(running\) since [A-Z][a-z]{2} [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} UTC; ([0-9]+(ms|s)|[0-9]+min( [0-9]+s)?) ago$' &&
	echo "$s" | grep -Eq '^   Main PID: [0-9]+ \(chronyd\)$' &&
	[ "$(t 'status-chrony-rc ')" = 0 ] &&
	pass "systemctl status chrony: as systemd 252 prints it: '● chrony.service - …', 'Loaded: loaded (/usr/lib/systemd/system/chrony.service; enabled; preset: enabled)', 'Active: active (running) since DAY YYYY-MM-DD HH:MM:SS UTC; SPAN ago', 'Main PID: PID (chronyd)', exit 0" ||
	fail "systemctl status chrony" "$(echo "$s" | head -8 | tr '\n' '|') rc=$(t 'status-chrony-rc ')"
echo "$s" | grep -Eq 'chronyd\[[0-9]+\]: chronyd version 4\.3 starting' &&
	pass "systemctl status chrony shows chronyd's own log lines (syslog through /dev/log)" ||
	fail "chronyd's log in status" "$(echo "$s" | tail -5 | tr '\n' '|')"
[ "$(t 'reload-ssh ')" = "rc=0 sighup=1" ] && pass "systemctl reload ssh: ExecReload= (sshd -t, kill -HUP \$MAINPID) reached sshd: 'Received SIGHUP; restarting.'" ||
	fail "reload ssh" "$(t 'reload-ssh ')"
# Debian 12's sshd re-executes itself on SIGHUP; libsystemd's sd_listen_fds() made the socket it
# was given close-on-exec, so the new sshd binds port 22 itself and finds the socket unit's
# listening socket there: "Cannot bind any address", exit 255 (RestartPreventExitStatus=255).
# PID 1 holds that socket under systemd too. The socket stays, and the next connection starts
# ssh.service again (checked above).
j=$(t 'journal-ssh-after-reload: ')
if [ "$(t 'after-reload ssh ')" = active ]; then
	pass "ssh.service still active after the reload"
elif echo "$j" | grep -q 'Received SIGHUP; restarting' && echo "$j" | grep -q 'fatal: Cannot bind any address' &&
	[ "$(t 'after-reload ssh.socket ')" = active ]; then
	pass "after the reload: sshd re-executed and could not take port 22 back (Debian 12's sshd under socket activation); ssh.socket still listening"
else
	fail "after reload" "$(t 'after-reload ssh ') $(echo "$j" | tail -4 | tr '\n' '|')"
fi
echo "$j" | grep -Eq "${M}Reloading ssh\.service - OpenBSD Secure Shell server\.\.\.$" &&
	echo "$j" | grep -Eq "${M}Reloaded ssh\.service - OpenBSD Secure Shell server\.$" &&
	{ [ "$(t 'after-reload ssh ')" = active ] ||
		{ echo "$j" | grep -Eq "${M}ssh\.service: Main process exited, code=exited, status=255/EXCEPTION$" &&
			echo "$j" | grep -Eq "${M}ssh\.service: Failed with result 'exit-code'\.$"; }; } &&
	pass "journalctl -u ssh after the reload: 'Reloading ssh.service - …...', 'Reloaded …'$([ "$(t 'after-reload ssh ')" = active ] ||
		echo ", 'ssh.service: Main process exited, code=exited, status=255/EXCEPTION', 'ssh.service: Failed with result 'exit-code'.'")" ||
	fail "journalctl -u ssh after the reload: systemd's records" "$(echo "$j" | grep 'systemd\[' | tail -6 | tr '\n' '|')"
r=$(t 'reload-chrony ')
[[ $r == *rc=1* ]] && pass "systemctl reload chrony: refused (its unit has no ExecReload=), as systemd refuses it ($r)" ||
	fail "reload chrony" "$r"
t 'nft: ' | grep -q '^table inet filter {' && pass "nftables.service loaded /etc/nftables.conf (nft list ruleset: table inet filter)" ||
	fail "nft ruleset" "$(t 'nft: ' | head -3 | tr '\n' '|')"
t 'ctr: ' | grep -Eq '^Server:' && t 'ctr: ' | grep -Eq 'Version: +1\.6\.' &&
	pass "containerd answers on its socket (ctr version: Server 1.6)" || fail "ctr version" "$(t 'ctr: ' | tr '\n' '|')"
[ "$(t 'devices ')" = "vda=denied urandom=open" ] &&
	pass "chrony's DevicePolicy=closed holds in its cgroup: /dev/vda denied, /dev/urandom open" ||
	fail "chrony device policy" "$(t 'devices ')"
c=$(t 'chronyc: ')
echo "$c" | grep -Eq '^Reference ID +: 7F000001 \(127\.0\.0\.1\)' && echo "$c" | grep -Eq '^Leap status +: Normal' &&
	pass "chronyd synchronised to the host's clock through the relay (chronyc tracking: 127.0.0.1, Leap status Normal)" ||
	fail "chrony synchronised" "$(echo "$c" | head -14 | tr '\n' '|')"
p=$(t 'policy-clock: ')
echo "$p" | grep -Eq '^PASS +time\.synchronised' && pass "keel policy host: the clock check passes ($p)" ||
	fail "policy clock check" "$p"
vm_wait_exit 120 || fail "keel init poweroff"
vm_stop
grep -aq 'could not\|FAILED' "$VM_DIR/host-chronyd.log" && fail "host chronyd" "$(tail -3 "$VM_DIR/host-chronyd.log")"
true
