# maven-promote fence: every process a promotion runs on the server runs under it, so that
# `resume`, `rollback`, `cleanup` and `unlock --force` can find it, wait for it or stop it
# (DESIGN.md invariant 6: recovery never runs beside the promotion's own work).
#
# Run as: sh -c "<this text>" maven-promote-fence MODE STATE [WHAT COMMAND...]
#   run STATE WHAT CMD...  runs CMD holding the fence STATE/fence; prints nothing of its own
#   stream STATE WHAT CMD... as run, but CMD reads the channel's stdin (a bundle streamed into
#                          `tar -x`): the stream's end, or its EOF when the client is gone, ends
#                          the work, so there is no watchdog
#   check STATE            prints "free", or "busy PID START SINCE HOST WHAT"
#   stop STATE SIGNAL      sends SIGNAL to the fenced work (its whole process group where it has
#                          one), then prints what check prints
#
# The fence is flock(1) on STATE/fence: the kernel releases it when the last process holding it
# dies, so liveness never depends on pid reuse or on clocks. Where flock is missing, STATE/fence.pid
# (pid and the kernel's start time of the process) is the fallback: a pid is alive only if its
# start time still matches. The work also stops by itself when its client is gone: the SSH
# channel's stdin stays open while the client lives, and a watchdog stops the work at its EOF
# (in the client's shell session, MAVEN_PROMOTE_HEARTBEAT_FD=7: at a failed write to fd 7).
# MAVEN_PROMOTE_FENCE_WAIT (seconds, default 10) bounds how long run waits out a concurrent
# check's probe before it reports the fence held; tests shorten it.
set -u
mode=$1
state=$2
shift 2
fence="$state/fence"
info="$state/fence.pid"

have() { command -v "$1" >/dev/null 2>&1; }

# The kernel's start time of a process (clock ticks since boot), or ps's when there is no /proc.
start_time() {
  if [ -r "/proc/$1/stat" ]; then
    sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20
  else
    ps -o lstart= -p "$1" 2>/dev/null | tr -s ' ' '_'
  fi
}

# Never pid 0 or 1: "kill -SIG -1" would reach every process there is.
alive() {
  case "$1" in '' | 0 | 1 | *[!0-9]*) return 1 ;; esac
  kill -0 "$1" 2>/dev/null && [ -n "$2" ] && [ "$(start_time "$1")" = "$2" ]
}

# The probe takes a shared lock: it never conflicts with another probe, only with the work's
# exclusive one.
held() {
  [ -e "$fence" ] || return 1
  if have flock; then
    ! flock -n -s "$fence" true 2>/dev/null
  else
    [ -r "$info" ] && read -r pid start rest <"$info" && alive "$pid" "$start"
  fi
}

report() {
  if held; then
    line=$(cat "$info" 2>/dev/null) || line=""
    [ -n "$line" ] || line="0 0 - -"
    set -- $line
    pid=$1 start=$2 since=$3
    shift 3
    printf 'busy %s %s %s %s %s\n' "$pid" "$start" "$since" "$(hostname 2>/dev/null || uname -n)" "$*"
  else
    echo free
  fi
}

case "$mode" in
run | stream)
  what=$1
  shift
  exec 9>>"$fence" || exit 70
  # The channel's stdin, kept for the watchdog: an asynchronous command reads /dev/null.
  exec 8<&0
  # A concurrent check (status, recovery) holds the fence's shared lock for the few milliseconds
  # of its probe: wait that out, while earlier work, which holds it for long, still means 75.
  if have flock; then
    flock -w "${MAVEN_PROMOTE_FENCE_WAIT:-10}" 9 || { echo "maven-promote fence: $fence is held: this promotion's earlier work still runs" >&2; exit 75; }
  elif held; then
    echo "maven-promote fence: $fence is held: this promotion's earlier work still runs" >&2
    exit 75
  fi
  # The work in a process group of its own where setsid exists, so that stop reaches all of it.
  # The work never holds the session's fd 7: the channel closes when the session's shell ends.
  if [ "$mode" = stream ]; then
    if have setsid; then setsid "$@" <&8 8<&- 7>&- & else "$@" <&8 8<&- 7>&- & fi
  elif have setsid; then setsid "$@" 8<&- 7>&- & else "$@" 8<&- 7>&- & fi
  work=$!
  started=$(start_time "$work")
  # One write(2) of one short line. (Not written aside and renamed: the fence runs no mv of its
  # own, so that a server's mv, slowed or traced, is only ever the rename script's.)
  printf '%s %s %s %s\n' "$work" "$started" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$what" >"$info"
  if [ "$mode" = stream ]; then
    exec 8<&-
    code=0
    wait "$work" || code=$?
    exit "$code"
  fi
  # The watchdog: EOF on stdin means the client is gone for good. It holds no fence itself. In
  # the client's shell session stdin carries its next commands instead: there a byte written to
  # the session's stderr each second fails (EPIPE) once the client is gone.
  if [ -n "${MAVEN_PROMOTE_HEARTBEAT_FD:-}" ]; then
    # Its nap is killed with it (the trap), so nothing of it outlives the fence.
    {
      nap=
      trap 'kill $nap 2>/dev/null; exit 0' TERM
      while alive "$work" "$started"; do
        if ! (printf . >&7) 2>/dev/null; then
          if alive "$work" "$started"; then kill -TERM "-$work" 2>/dev/null || kill -TERM "$work" 2>/dev/null; fi
          break
        fi
        sleep 1 7>&- &
        nap=$!
        wait "$nap"
      done
    } 8<&- 9>&- </dev/null >/dev/null 2>&1 &
  else
    {
      cat <&8 >/dev/null 2>&1
      if alive "$work" "$started"; then kill -TERM "-$work" 2>/dev/null || kill -TERM "$work" 2>/dev/null; fi
    } 9>&- </dev/null >/dev/null 2>&1 &
  fi
  exec 8<&-
  watchdog=$!
  code=0
  wait "$work" || code=$?
  kill "$watchdog" 2>/dev/null
  wait "$watchdog" 2>/dev/null
  exit "$code"
  ;;
check)
  report
  ;;
stop)
  if held && read -r pid start rest <"$info" && alive "$pid" "$start"; then
    kill "-$1" "-$pid" 2>/dev/null || kill "-$1" "$pid" 2>/dev/null
  fi
  report
  ;;
*)
  echo "maven-promote fence: unknown mode $mode" >&2
  exit 2
  ;;
esac
