#!/usr/bin/env bash
# Makes sure the programs the integration tests need are installed:
#   /usr/sbin/sshd      (openssh-server)  - the tests start their own private sshd on 127.0.0.1
#   ssh, ssh-keygen     (openssh-client)
#   unzip               (unzip)
#   gpg                 (gpg)
#   rsync               (rsync)           - a baseline of `npm run bench`
#   jq                  (jq)              - the runnable examples of docs/ read --json with it
#   /usr/sbin/nginx     (nginx-light)     - the tests start their own nginx to serve an HTTP stage
#   /usr/sbin/apache2   (apache2)         - and their own Apache httpd (mod_autoindex listings)
#
# Silent and fast when everything is present. When something is missing and we are root with
# apt-get, it installs the packages without starting or enabling a system sshd service. Otherwise
# it prints what to install and exits 1. Safe to run any number of times.
set -euo pipefail

missing=()
have() { command -v "$1" >/dev/null 2>&1; }

[[ -x /usr/sbin/sshd ]] || missing+=(openssh-server)
if ! have ssh || ! have ssh-keygen; then missing+=(openssh-client); fi
have unzip || missing+=(unzip)
have gpg || missing+=(gpg)
have rsync || missing+=(rsync)
have jq || missing+=(jq)
[[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
[[ -x /usr/sbin/apache2 ]] || missing+=(apache2)

((${#missing[@]} == 0)) && exit 0

if [[ $(id -u) -ne 0 ]] || ! have apt-get; then
  for pkg in "${missing[@]}"; do
    echo "install-test-deps: missing package '$pkg': install it (e.g. sudo apt-get install $pkg)" >&2
  done
  exit 1
fi

# PIDs of the sshd processes running now, so that one started by the package's postinst can be
# told apart from sshd processes that something else (e.g. a concurrent test run) owns.
sshd_pids() {
  local p exe
  for p in /proc/[0-9]*; do
    exe=$(readlink "$p/exe" 2>/dev/null || true)
    [[ $exe == /usr/sbin/sshd ]] && echo "${p#/proc/}"
  done
  return 0
}

installing_server=false
for pkg in "${missing[@]}"; do [[ $pkg == openssh-server ]] && installing_server=true; done

before_pids=" $(sshd_pids | tr '\n' ' ') "

# invoke-rc.d and deb-systemd-invoke ask /usr/sbin/policy-rc.d whether a service may be started;
# exit status 101 means "no". Keep any policy already in place (Docker images ship one) and put it
# back afterwards.
policy=/usr/sbin/policy-rc.d
policy_backup=""
restore_policy() {
  if [[ -n $policy_backup ]]; then
    mv -f "$policy_backup" "$policy"
  else
    rm -f "$policy"
  fi
}
if [[ -e $policy ]]; then
  policy_backup=$(mktemp /usr/sbin/policy-rc.d.backup.XXXXXX)
  cp -p "$policy" "$policy_backup"
fi
trap restore_policy EXIT
printf '#!/bin/sh\n# temporary: written by install-test-deps.sh\nexit 101\n' >"$policy"
chmod 0755 "$policy"

export DEBIAN_FRONTEND=noninteractive
# Wait for the dpkg/apt locks if another apt-get is running instead of failing at once.
apt_opts=(-o DPkg::Lock::Timeout=600)
apt-get "${apt_opts[@]}" update -qq
apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

restore_policy
policy_backup=""
trap - EXIT

if $installing_server; then
  # Do not leave the system service enabled (the tests start their own sshd).
  if have deb-systemd-helper; then
    deb-systemd-helper disable ssh.service ssh.socket >/dev/null 2>&1 || true
  fi
  if have update-rc.d; then
    update-rc.d ssh disable >/dev/null 2>&1 || true
  fi
  # runit (via runit-helper): a `down` file keeps the service from being started.
  if [[ -d /etc/sv/ssh ]]; then
    touch /etc/sv/ssh/down
  fi
  # If the postinst managed to start the system sshd anyway (listening on port 22 with the default
  # config), stop it: only sshd processes that are new, were daemonized (parent is init) and use
  # the default config, so private test servers (`sshd -D -f ...`) are left alone.
  for pid in $(sshd_pids); do
    [[ $before_pids == *" $pid "* ]] && continue
    ppid=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
    if [[ $ppid == 1 && " $args " != *" -f "* && " $args " != *" -D "* ]]; then
      echo "install-test-deps: stopping the system sshd (pid $pid) started by the package install" >&2
      kill "$pid" 2>/dev/null || true
    fi
  done
fi

still_missing=()
[[ -x /usr/sbin/sshd ]] || still_missing+=(openssh-server)
if ! have ssh || ! have ssh-keygen; then still_missing+=(openssh-client); fi
have unzip || still_missing+=(unzip)
have gpg || still_missing+=(gpg)
[[ -x /usr/sbin/nginx ]] || still_missing+=(nginx-light)
[[ -x /usr/sbin/apache2 ]] || still_missing+=(apache2)
if ((${#still_missing[@]} > 0)); then
  echo "install-test-deps: still missing after apt-get install: ${still_missing[*]}" >&2
  exit 1
fi
echo "install-test-deps: installed ${missing[*]}"
