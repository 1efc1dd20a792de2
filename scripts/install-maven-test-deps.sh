#!/usr/bin/env bash
# Installs what the real-Maven-client interop test (test/integration/maven-client.test.ts)
# needs: Debian's Maven, its dependency plugin (libmaven-dependency-plugin-java, which puts
# maven-dependency-plugin 3.5.0 into /usr/share/maven-repo) and junit4 (the plugin's dependency
# tree, as Debian packages it, resolves junit:junit:4.x from /usr/share/maven-repo), and the
# plugins test/integration/real-maven-deploy.test.ts builds and deploys a project with
# (compiler, resources, surefire, install, deploy, source, javadoc; the jar plugin comes with maven),
# and real projects' POMs and jars the policy test (test/integration/check-policy.test.ts) stages:
# jsoup's upstream POM inside its jar, and commons-io's, commons-parent's and apache's POMs as Debian ships them.
# Everything comes from Debian packages; Maven itself never reaches the internet
# (see test/helpers/maven-client.ts).
#
# Silent and fast when everything is already installed.
set -euo pipefail

packages=(maven libmaven-dependency-plugin-java junit4
  libmaven-compiler-plugin-java libmaven-resources-plugin-java libsurefire-java libmaven-install-plugin-java
  libmaven-deploy-plugin-java libmaven-source-plugin-java libmaven-javadoc-plugin-java
  libjsoup-java libcommons-io-java libcommons-parent-java libapache-pom-java)

missing=()
for pkg in "${packages[@]}"; do
  # `dpkg -s` alone succeeds for a removed package whose config files remain: check the status.
  if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" != "install ok installed" ]; then
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
