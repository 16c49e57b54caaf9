#!/usr/bin/env bash
# The main job: start berthd (or reuse the one already serving), create the
# offline default image busybox:latest, and show the image commands at work.
# Idempotent: a second run reuses the daemon and the image.
#   BERTH_ROOT, BERTH_EXEC_ROOT, BERTH_SOCKET override the default locations.
set -euo pipefail
cd "$(dirname "$0")/.."

ROOT=${BERTH_ROOT:-/var/lib/berth}
EXEC_ROOT=${BERTH_EXEC_ROOT:-/run/berth}
SOCKET=${BERTH_SOCKET:-/run/berth/berth.sock}
export BERTH_HOST="unix://$SOCKET"
LOG="$EXEC_ROOT/berthd.log"
BERTH="$PWD/bin/berth"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

if "$BERTH" version >/dev/null 2>&1; then
  echo "berthd is already serving at $SOCKET"
else
  mkdir -p "$EXEC_ROOT"
  echo "starting berthd (root $ROOT, socket $SOCKET, log $LOG)"
  nohup "$PWD/bin/berthd" --root "$ROOT" --exec-root "$EXEC_ROOT" --socket "$SOCKET" >>"$LOG" 2>&1 &
  echo $! > "$EXEC_ROOT/berthd.pid"
  for _ in $(seq 1 100); do "$BERTH" version >/dev/null 2>&1 && break; sleep 0.1; done
  "$BERTH" version >/dev/null || { echo "berthd did not start; see $LOG" >&2; exit 1; }
fi

if ! "$BERTH" image inspect busybox:latest >/dev/null 2>&1; then
  echo "creating the offline default image busybox:latest from Debian's busybox-static"
  node --import tsx test/fixtures/busybox.ts | "$BERTH" load
fi

step "$BERTH" version
step "$BERTH" images
step "$BERTH" image inspect --format 'ID {{.Id}}  Cmd {{json .Config.Cmd}}  Layers {{len .RootFS.Layers}}' busybox
step "$BERTH" history busybox
step "$BERTH" tag busybox demo/busybox:v1
step "$BERTH" images --filter reference='demo/*'
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
step "$BERTH" save -o "$TMP/demo.tar" demo/busybox:v1
step "$BERTH" rmi demo/busybox:v1
step "$BERTH" load -i "$TMP/demo.tar"
mkdir -p "$TMP/rootfs/etc" && echo "hello from an imported image" > "$TMP/rootfs/etc/motd"
tar -C "$TMP/rootfs" -cf "$TMP/rootfs.tar" .
step "$BERTH" import --change 'CMD ["cat","/etc/motd"]' --change 'ENV GREETING=hi' -m 'demo import' "$TMP/rootfs.tar" demo/imported:v1
step "$BERTH" image inspect --format '{{json .Config.Cmd}} {{json .Config.Env}} {{.Comment}}' demo/imported:v1
step "$BERTH" images
step "$BERTH" rmi demo/busybox:v1 demo/imported:v1
step "$BERTH" images

echo
echo "--- containers ---"
# Leftovers of an interrupted earlier run would collide with the names below.
"$BERTH" rm -f demo-web demo-db >/dev/null 2>&1 || true
"$BERTH" network rm demo-net >/dev/null 2>&1 || true
"$BERTH" volume rm demo-data >/dev/null 2>&1 || true
step "$BERTH" run --rm busybox sh -c 'echo "hello from $(hostname), pid $$"; ip -4 addr show eth0 | grep inet'
step "$BERTH" run -d --name demo-web -p 127.0.0.1:18080:80 busybox sh -c 'while true; do printf "HTTP/1.0 200 OK\r\n\r\nhello from a container\n" | nc -l -p 80; done'
step "$BERTH" ps
sleep 0.5
step curl -s http://127.0.0.1:18080/
step "$BERTH" exec demo-web sh -c 'echo exec in $(hostname): $(ls / | wc -l) entries in /'
step "$BERTH" logs demo-web
step "$BERTH" volume create demo-data
step "$BERTH" run --rm -v demo-data:/data busybox sh -c 'echo kept > /data/file'
step "$BERTH" run --rm -v demo-data:/data:ro busybox cat /data/file
step "$BERTH" network create demo-net
step "$BERTH" run -d --name demo-db --network demo-net busybox sleep 300
step "$BERTH" run --rm --network demo-net busybox ping -c1 -W2 demo-db
step "$BERTH" rm -f demo-web demo-db
step "$BERTH" network rm demo-net
step "$BERTH" volume rm demo-data
step "$BERTH" ps -a

cat <<EOT

berthd keeps running (pid $(cat "$EXEC_ROOT/berthd.pid" 2>/dev/null || echo '?'), log $LOG).
Use it:      $BERTH -H $BERTH_HOST images      (or: export BERTH_HOST=$BERTH_HOST)
             docker -H $BERTH_HOST images
Stop it:     kill \$(cat $EXEC_ROOT/berthd.pid)   (it removes its bridge and firewall table when no container runs)
EOT
