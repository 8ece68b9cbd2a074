# scripts/lib.sh: shared by scripts/report and scripts/test (sourced, not run).
# Installs what is missing (as root) or says how, then configures and builds build/.

# Debian packages the build and the tests need (gnuplot draws the HTML report's plots;
# libopenblas-dev is the CBLAS under gsl_blas, meson option blas=auto).
GV_PACKAGES="meson ninja-build pkg-config gcc libc6-dev libgsl-dev check libjansson-dev gnuplot-nox libxml2-dev libseccomp-dev libopenblas-dev"

gv_top=$(cd "$(dirname "$0")/.." && pwd)

gv_missing_packages() {
  missing=""
  for p in $GV_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      missing="$missing $p"
  done
  echo "$missing"
}

# gv_ensure_packages [OPTIONAL...]: installs what is missing as root; otherwise
# prints the install line and exits 2, unless all that is missing is OPTIONAL,
# which it only mentions.
gv_ensure_packages() {
  missing=$(gv_missing_packages)
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" -ne 0 ] && [ $# -gt 0 ]; then
    required=""
    for p in $missing; do
      case " $* " in *" $p "*) ;; *) required="$required $p" ;; esac
    done
    if [ -z "$required" ]; then
      echo "$(basename "$0"): continuing without$missing; install with: sudo apt-get install$missing" >&2
      return 0
    fi
  fi
  if [ "$(id -u)" -eq 0 ]; then
    echo "installing:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends $missing >&2 || {
      echo "$(basename "$0"): apt-get could not install:$missing" >&2
      exit 2
    }
  else
    echo "$(basename "$0"): missing Debian packages; install them with:" >&2
    echo "  sudo apt-get install$missing" >&2
    exit 2
  fi
}

gv_build() {
  cd "$gv_top" || exit 2
  if [ ! -f build/build.ninja ]; then
    meson setup build >&2 || { echo "$(basename "$0"): meson setup failed" >&2; exit 2; }
  fi
  ninja -C build >&2 || { echo "$(basename "$0"): the build failed" >&2; exit 2; }
}
