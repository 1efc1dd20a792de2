#!/bin/sh
# maven-promote rename script for promotion {{ID}}.
#
# Generated from templates/rename.sh; every name below was validated and is single-quoted.
# It moves the items staged under .rip names into place, in the order of the rename list:
#   state committing; backups; sync; version directories; sync; metadata groups (checksums and
#   signature, then maven-metadata.xml, back to back); sync; state committed.
# Every step is idempotent, so running the script again after a crash continues where it
# stopped: a step whose source is gone and whose destination is present was done already.
# Each finished step is appended to steps.log in the promotion's state directory.
set -eu

ROOT={{ROOT}}
STATE={{STATE}}
cd "$ROOT"
LOG="$STATE/steps.log"

now() { date -u '+%Y-%m-%dT%H:%M:%S.%NZ'; }
log() { printf '%s\n' "$*" >> "$LOG"; }
fail() {
  log "fail $*"
  printf 'maven-promote rename: %s\n' "$*" >&2
  exit 1
}

# Records a journal state change (committing, committed).
step_state() { log "state $1 $(now)"; }

# Keeps the target's current file (hard link, else copy) so rollback can restore it byte for byte.
step_backup() {
  if [ -f "$1" ]; then
    b="$STATE/backup/$1"
    if [ ! -e "$b" ]; then
      mkdir -p -- "$(dirname -- "$b")"
      ln -- "$1" "$b" 2>/dev/null || cp -p -- "$1" "$b"
    fi
    log "backup $1"
  fi
}

# A new version directory: never moved onto or into an existing name.
step_move_dir() {
  if [ -d "$1" ]; then
    if [ -e "$2" ] || [ -L "$2" ]; then fail "$2 already exists; refusing to move $1 onto it"; fi
    mv -- "$1" "$2"
  elif [ ! -d "$2" ]; then
    fail "neither $1 nor $2 exists"
  fi
  log "move-dir $2"
}

# A file; with "replace", an existing destination is replaced by one rename(2).
step_move_file() {
  if [ -f "$1" ]; then
    if [ "$3" != replace ] && { [ -e "$2" ] || [ -L "$2" ]; }; then fail "$2 already exists; refusing to overwrite it"; fi
    mv -f -- "$1" "$2"
  elif [ ! -f "$2" ]; then
    fail "neither $1 nor $2 exists"
  fi
  log "move-file $2"
}

step_remove() {
  rm -f -- "$1"
  log "remove $1"
}

# A durability barrier: everything renamed and written so far reaches the disk before the next
# step (DESIGN.md invariant 9). `sync -f` flushes the file system holding the repository
# (syncfs(2): file data, the renames, the backups); a sync(1) without -f flushes every one.
step_sync() {
  sync -f . 2>/dev/null || sync
  log "sync $1"
}

# Timestamps around the metadata flips: the window in which a client can see them out of step.
# The optional second argument names the metadata group.
step_mark() { log "mark $1 $(now)${2+ $2}"; }

log "runner sh"
{{STEPS}}
