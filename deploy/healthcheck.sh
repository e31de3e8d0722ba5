#!/usr/bin/env bash
# healthcheck [PATH] [PORT]: exits 0 when GET http://127.0.0.1:PORT/PATH answers 200, 1 otherwise.
# PATH defaults to /healthz, PORT to $ASPNETCORE_HTTP_PORTS (8080). Plain bash (/dev/tcp): the
# runtime image has no curl or wget.
set -u
path=${1:-/healthz}
port=${2:-${ASPNETCORE_HTTP_PORTS:-8080}}
port=${port%%[;,]*}
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$path" >&3
IFS= read -r -t 3 status <&3 || exit 1
exec 3<&-
case "$status" in
  "HTTP/1."[01]" 200 "*) exit 0 ;;
  *) echo "GET $path: ${status%$'\r'}" >&2; exit 1 ;;
esac
