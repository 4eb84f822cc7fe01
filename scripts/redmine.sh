#!/usr/bin/env bash
# Manage the local Redmine used by trackbridge tests (Debian packages, sqlite, puma).
#
#   scripts/redmine.sh install   # apt install + configure (idempotent, fast when done)
#   scripts/redmine.sh start     # install if needed, start in background, wait for REST
#   scripts/redmine.sh stop      # stop the server on REDMINE_PORT (really stops it)
#   scripts/redmine.sh restart
#   scripts/redmine.sh status    # "running <url>" (exit 0) or "stopped" (exit 3)
#   scripts/redmine.sh key       # print the admin REST API key (cached)
#   scripts/redmine.sh url       # print the base URL
#   scripts/redmine.sh runner 'ruby code'   # bin/rails runner in production env
#   scripts/redmine.sh logs      # tail the server log
#
# Env: REDMINE_PORT (default 3100), REDMINE_STATE_DIR (default /var/tmp/trackbridge-redmine),
#      REDMINE_START_TIMEOUT seconds (default 120).
set -euo pipefail

PORT="${REDMINE_PORT:-3100}"
STATE_DIR="${REDMINE_STATE_DIR:-/var/tmp/trackbridge-redmine}"
START_TIMEOUT="${REDMINE_START_TIMEOUT:-120}"
REDMINE_DIR=/usr/share/redmine
URL="http://127.0.0.1:${PORT}"
KEY_FILE="$STATE_DIR/api-key"
MARKER="$STATE_DIR/installed"
PID_FILE="$STATE_DIR/redmine-${PORT}.pid"
PUMA_PID_FILE="$STATE_DIR/puma-${PORT}.pid"
LOG_FILE="$STATE_DIR/redmine-${PORT}.log"
LOCK_FILE="$STATE_DIR/lock"
# Bump when the configuration steps below change, to force a re-run of install.
INSTALL_REV=3
PACKAGES=(redmine redmine-sqlite puma)

export RAILS_ENV=production
# Rails reads DATABASE_URL as Redmine's own database: trackbridge's (exported by a laptop setup, see the
# README) would make it load the postgresql adapter, which this sqlite install does not bundle.
unset DATABASE_URL

log() { echo "[redmine] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -E "$@"
  else die "need root for: $*"; fi
}

mkdir -p "$STATE_DIR" 2>/dev/null || as_root mkdir -p "$STATE_DIR"

# Serialise install/start/stop across concurrent callers (vitest workers, CI steps).
with_lock() {
  exec 9>>"$LOCK_FILE"
  flock -w 900 9 || die "could not take lock $LOCK_FILE"
}

packages_installed() {
  local p s
  for p in "${PACKAGES[@]}"; do
    s="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
    [ "$s" = "install ok installed" ] || return 1
  done
}

rails_runner() {
  (cd "$REDMINE_DIR" && ruby bin/rails runner "$1")
}

is_installed() {
  [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$INSTALL_REV" ] && [ -s "$KEY_FILE" ] \
    && [ -f "$REDMINE_DIR/Gemfile.local" ] && [ -f "$REDMINE_DIR/Gemfile" ]
}

# Ruby run once at install: default data, REST on, admin usable through the API,
# login required (so a wrong API key gets 401 instead of anonymous access to public projects),
# no notification mails (they are rendered in-process and slow every write down).
# An issue custom field enabled for every project and left empty, as on many real Redmines: every
# issue then reads back with {"Supplier ticket": null}, which a sync must take for "nothing there".
SETUP_RUBY='
if Tracker.count == 0 || IssueStatus.count == 0 || IssuePriority.count == 0
  Redmine::DefaultData::Loader.load("en")
end
Setting.rest_api_enabled = "1"
Setting.login_required = "1"
Setting.notified_events = []
admin = User.find_by_login("admin") or raise "no admin user"
admin.update_columns(must_change_passwd: false, status: User::STATUS_ACTIVE)
supplier = IssueCustomField.find_by(name: "Supplier ticket") || IssueCustomField.new(name: "Supplier ticket", field_format: "string")
supplier.is_for_all = true
supplier.is_required = false
supplier.visible = true
supplier.trackers = Tracker.all.to_a
supplier.save!
puts "APIKEY=#{admin.api_key}"
'

do_install() {
  if is_installed && packages_installed; then return 0; fi
  with_lock
  if is_installed && packages_installed; then return 0; fi
  local t0=$SECONDS
  if ! packages_installed; then
    log "installing packages: ${PACKAGES[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -q \
      --no-install-recommends "${PACKAGES[@]}" || true
  fi
  if ! packages_installed; then
    # Debian's bundler 2.3.15 (+deb12u1) takes a gem whose directory is missing for a deleted one, and
    # rubygems-integration installs some pure-Ruby gems (mail, rotp, racc…) with no directory of their
    # own. redmine's postinst then runs `bundle install --local` and fails. Give them their (empty) directory.
    log "working around bundler's deleted_gem? check for Debian-packaged gems"
    as_root ruby -e 'Gem::Specification.each { |s| d = s.full_gem_path; require "fileutils"; FileUtils.mkdir_p(d) unless s.default_gem? || File.directory?(d) }'
    as_root env DEBIAN_FRONTEND=noninteractive dpkg --configure -a
    packages_installed || die "packages did not install: ${PACKAGES[*]}"
  fi
  # Let bundler see puma; the Debian Gemfile.lock is generated and must be refreshed.
  if [ "$(cat "$REDMINE_DIR/Gemfile.local" 2>/dev/null || true)" != 'gem "puma"' ]; then
    echo 'gem "puma"' | as_root tee "$REDMINE_DIR/Gemfile.local" >/dev/null
    as_root rm -f /var/lib/redmine/Gemfile.lock
  fi
  if [ -f /var/lib/redmine/Gemfile.lock ] && ! grep -q '^    puma ' /var/lib/redmine/Gemfile.lock; then
    as_root rm -f /var/lib/redmine/Gemfile.lock
  fi
  log "migrating database"
  (cd "$REDMINE_DIR" && as_root env RAILS_ENV=production ruby bin/rake db:migrate >/dev/null)
  log "configuring (default data, REST API, admin key)"
  local out key
  out="$(cd "$REDMINE_DIR" && as_root env RAILS_ENV=production ruby bin/rails runner "$SETUP_RUBY")"
  key="$(printf '%s\n' "$out" | sed -n 's/^APIKEY=//p' | tail -n1)"
  [ -n "$key" ] || die "could not read admin API key; runner said: $out"
  printf '%s\n' "$key" >"$KEY_FILE.tmp" && mv "$KEY_FILE.tmp" "$KEY_FILE"
  echo "$INSTALL_REV" >"$MARKER"
  log "installed in $((SECONDS - t0))s"
}

api_key() { cat "$KEY_FILE" 2>/dev/null || true; }

# HTTP status of an authenticated REST call ("000" when nothing answers).
probe() {
  curl -s -o /dev/null -m 5 -w '%{http_code}' -H "X-Redmine-API-Key: $(api_key)" \
    "$URL/users/current.json" 2>/dev/null || true
}

refresh_key() {
  local out key
  out="$(rails_runner "$SETUP_RUBY")"
  key="$(printf '%s\n' "$out" | sed -n 's/^APIKEY=//p' | tail -n1)"
  [ -n "$key" ] || die "could not read admin API key"
  printf '%s\n' "$key" >"$KEY_FILE.tmp" && mv "$KEY_FILE.tmp" "$KEY_FILE"
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

server_pid() {
  local pid
  for f in "$PID_FILE" "$PUMA_PID_FILE"; do
    pid="$(cat "$f" 2>/dev/null || true)"
    if pid_alive "$pid"; then echo "$pid"; return 0; fi
  done
  return 1
}

# PID of whatever listens on our port (only used if it is a rails/puma process).
port_pid() {
  local pid
  pid="$(ss -ltnpH "sport = :$PORT" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n1)"
  [ -n "$pid" ] || return 1
  if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -Eq 'rails|puma'; then echo "$pid"; return 0; fi
  return 1
}

wait_ready() {
  local pid="$1" deadline=$((SECONDS + START_TIMEOUT)) code refreshed=0
  while [ $SECONDS -lt $deadline ]; do
    code="$(probe)"
    case "$code" in
      200) return 0 ;;
      401|403)
        if [ $refreshed -eq 0 ]; then log "API key rejected ($code), refreshing it"; refresh_key; refreshed=1; fi ;;
    esac
    if [ -n "$pid" ] && ! pid_alive "$pid"; then
      log "server process $pid exited; last log lines:"; tail -n 30 "$LOG_FILE" >&2 || true
      return 1
    fi
    sleep 0.25
  done
  log "timed out after ${START_TIMEOUT}s waiting for $URL"; tail -n 30 "$LOG_FILE" >&2 || true
  return 1
}

do_start() {
  do_install
  [ "$(probe)" = 200 ] && { echo "$URL"; return 0; }
  with_lock
  [ "$(probe)" = 200 ] && { echo "$URL"; return 0; }
  local pid
  if pid="$(server_pid)" || pid="$(port_pid)"; then
    log "server process $pid exists, waiting for it"
    wait_ready "$pid" && { echo "$URL"; return 0; }
    die "server $pid is not answering; run '$0 stop' and retry"
  fi
  rm -f "$PID_FILE" "$PUMA_PID_FILE"
  local t0=$SECONDS
  log "starting on $URL (log: $LOG_FILE)"
  (
    exec 9>&- # do not let the server inherit (and hold) our lock
    cd "$REDMINE_DIR"
    exec setsid ruby bin/rails server -u puma -b 127.0.0.1 -p "$PORT" -P "$PUMA_PID_FILE" \
      </dev/null >>"$LOG_FILE" 2>&1
  ) &
  pid=$!
  echo "$pid" >"$PID_FILE"
  if ! wait_ready "$pid"; then
    kill "$pid" 2>/dev/null || true
    die "start failed"
  fi
  log "ready in $((SECONDS - t0))s (pid $pid)"
  echo "$URL"
}

do_stop() {
  with_lock
  local pids=() pid
  for f in "$PID_FILE" "$PUMA_PID_FILE"; do
    pid="$(cat "$f" 2>/dev/null || true)"
    if pid_alive "$pid"; then pids+=("$pid"); fi
  done
  if pid="$(port_pid)"; then pids+=("$pid"); fi
  if [ ${#pids[@]} -gt 0 ]; then mapfile -t pids < <(printf '%s\n' "${pids[@]}" | sort -u); fi
  if [ ${#pids[@]} -eq 0 ]; then rm -f "$PID_FILE" "$PUMA_PID_FILE"; log "not running"; return 0; fi
  kill -TERM "${pids[@]}" 2>/dev/null || true
  local deadline=$((SECONDS + 20)) alive
  while :; do
    alive=()
    for pid in "${pids[@]}"; do pid_alive "$pid" && alive+=("$pid"); done
    [ ${#alive[@]} -eq 0 ] && break
    if [ $SECONDS -ge $deadline ]; then kill -KILL "${alive[@]}" 2>/dev/null || true; sleep 0.2; break; fi
    sleep 0.1
  done
  # Make sure the port is really closed before reporting success.
  deadline=$((SECONDS + 10))
  while ss -ltnH "sport = :$PORT" 2>/dev/null | grep -q . && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  rm -f "$PID_FILE" "$PUMA_PID_FILE"
  log "stopped (${pids[*]})"
}

do_status() {
  if [ "$(probe)" = 200 ]; then echo "running $URL"; return 0; fi
  local pid
  if pid="$(server_pid)"; then echo "starting $URL (pid $pid)"; return 3; fi
  echo "stopped"; return 3
}

cmd="${1:-}"
case "$cmd" in
  install) do_install ;;
  start) do_start ;;
  stop) do_stop ;;
  restart) do_stop; exec 9>&-; do_start ;;
  status) do_status ;;
  key) do_install; api_key ;;
  url) echo "$URL" ;;
  runner) do_install; shift; rails_runner "${1:?ruby code required}" ;;
  logs) tail -n "${2:-100}" "$LOG_FILE" ;;
  *) echo "usage: $0 install|start|stop|restart|status|key|url|runner <ruby>|logs [n]" >&2; exit 2 ;;
esac
