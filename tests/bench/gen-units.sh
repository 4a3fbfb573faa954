#!/bin/sh
# tests/bench/gen-units.sh DIR N [RUN]: N service units (svc0..svcN-1.service) in the six shapes
# Debian daemons ship, in turn: simple with restart and ExecReload=, sandboxed (16 directives),
# oneshot RemainAfterExit=, exec with limits, forking with PIDFile=, templated values (%n %H) with
# Requires=. RUN (default /run) is where the forking ones write their PID file.
d=$1 n=$2 run=${3:-/run}
mkdir -p "$d"
i=0
while [ $i -lt $n ]; do
	f=$d/svc$i.service
	case $((i % 6)) in
	0) cat > "$f" <<EOF
[Unit]
Description=Daemon $i (simple, restarting)
After=network.target svc$(( (i + 499) % n )).service
Wants=network.target

[Service]
Type=simple
Environment=LOGGING="--log-level=info" OPTS=-q
EnvironmentFile=-/etc/default/svc$i
ExecStartPre=/bin/true
ExecStart=/bin/sleep 1000
ExecReload=/bin/kill -HUP \$MAINPID
Restart=on-failure
RestartSec=5
TimeoutStopSec=20
KillMode=mixed

[Install]
WantedBy=multi-user.target
EOF
	;;
	1) cat > "$f" <<EOF
[Unit]
Description=Daemon $i (sandboxed)
After=network-online.target
Wants=network-online.target
ConditionPathExists=/etc/passwd

[Service]
ExecStart=/bin/sleep 1000
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
SystemCallFilter=@system-service
SystemCallArchitectures=native
StateDirectory=svc$i
RuntimeDirectory=svc$i
ReadWritePaths=/var/tmp

[Install]
WantedBy=multi-user.target
EOF
	;;
	2) cat > "$f" <<EOF
[Unit]
Description=Setup $i (oneshot)
DefaultDependencies=no
Before=sysinit.target
ConditionKernelCommandLine=!nosetup$i

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'echo setting up $i'
ExecStop=/bin/true
StandardOutput=journal

[Install]
WantedBy=sysinit.target
EOF
	;;
	3) cat > "$f" <<EOF
[Unit]
Description=Daemon $i (exec, limits)
Documentation=man:sleep(1)
After=svc$(( (i + 1) % n )).service
PartOf=svc$(( (i + 3) % n )).service

[Service]
Type=exec
ExecStart=/bin/sh -c 'echo started $i; exec /bin/sleep 1000'
ExecStop=/bin/kill -TERM \$MAINPID
LimitNOFILE=1024
TasksMax=infinity
MemoryMax=512M
OOMScoreAdjust=100
SuccessExitStatus=143
UMask=0027

[Install]
WantedBy=multi-user.target
Alias=alias$i.service
EOF
	;;
	4) cat > "$f" <<EOF
[Unit]
Description=Daemon $i (forking)
After=network.target remote-fs.target nss-lookup.target
Conflicts=shutdown.target

[Service]
Type=forking
PIDFile=/run/svc$i.pid
ExecStart=/bin/sh -c 'sleep 1000 & echo \$! > $run/svc$i.pid'
ExecStartPost=-/bin/true
ExecStopPost=/bin/true
Restart=always

[Install]
WantedBy=multi-user.target
EOF
	;;
	5) cat > "$f" <<EOF
[Unit]
Description=Daemon $i (%n on %H)
Requires=svc$(( (i + 496) % n )).service
After=svc$(( (i + 496) % n )).service

[Service]
User=root
Group=root
WorkingDirectory=/
Environment="HOME=/root" "LANG=C.UTF-8"
ExecStart=/bin/sleep 1000
ExecReload=/bin/true
StandardError=journal
SyslogIdentifier=svc$i

[Install]
WantedBy=multi-user.target
EOF
	;;
	esac
	i=$((i + 1))
done
