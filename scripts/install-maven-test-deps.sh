#!/usr/bin/env bash
# Installs what the real-Maven-client interop test (test/integration/maven-client.test.ts)
# needs: Debian's Maven, its dependency plugin and junit4 (pulled in because Debian's
# /usr/share/maven-repo layout of the plugin's dependencies expects it).
# Everything comes from Debian packages; Maven itself never reaches the internet
# (see test/helpers/maven-client.ts).
#
# Silent and fast when everything is already installed.
set -euo pipefail

packages=(maven libmaven-dependency-plugin-java junit4)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg -s "$pkg" >/dev/null 2>&1 \
    || ! dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
    missing+=("$pkg")
  fi
done
if ! command -v mvn >/dev/null 2>&1; then
  case " ${missing[*]-} " in
    *" maven "*) ;;
    *) missing+=(maven) ;;
  esac
fi

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-maven-test-deps: missing Debian packages: ${missing[*]}" >&2
  echo "install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "install-maven-test-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2

if ! command -v mvn >/dev/null 2>&1; then
  echo "install-maven-test-deps: mvn still not on PATH after installing ${missing[*]}" >&2
  exit 1
fi
