# scripts/bench_scale.sh: `scripts/bench --scale` (sourced by scripts/bench).
# Configures build-release/ (meson buildtype release: -O3, GSL range checks
# off, OpenBLAS when installed), then at 4-5-3, 32-64-10, 100-50-10 and
# 784-128-10 runs
#   - the public API on a user's plain-C network over a packed parameter vector
#     (checks/bench/bench_scale.c): defaults, central, directional (k = 32),
#     sampled (opts.entries = 1000) and threads (opts.threads = 2, wall seconds);
#     the defaults on the same network with W x by gsl_blas_dgemv (blas); and,
#     with no library call, a bare central difference per entry (floor: the
#     least any central-difference check of the plain-loop f can cost);
#   - the harness: gradverify --size D,H,K --trials 1 on the four weight
#     formulas (grad_V, grad_b2, grad_W, grad_b1) and their controls, reports
#     and plots included, under central, ridders and cstep;
#   - torch.autograd.gradcheck, full and fast mode (scripts/bench_scale_torch.py,
#     Debian's /usr/bin/python3 and python3-torch; skipped when not installed);
# and prints one Markdown table: CPU seconds per size (user + system, of the
# check alone for the API and torch, of the whole process and its children
# for the harness), the ratio to torch's full gradcheck, the growth exponent
# fitted to log(CPU) against log(params), evaluations per entry and peak
# memory at 784-128-10. Single BLAS thread (OPENBLAS_NUM_THREADS=1).

gv_bench_scale() {
  sizes="4,5,3 32,64,10 100,50,10 784,128,10"
  [ -n "${GV_SCALE_SIZES:-}" ] && sizes=$GV_SCALE_SIZES
  cd "$gv_top" || exit 2
  if [ ! -f build-release/build.ninja ]; then
    meson setup build-release --buildtype=release >&2 || { echo "bench: meson setup build-release failed" >&2; exit 2; }
  fi
  ninja -C build-release lib/gradverify checks/bench_scale >&2 ||
    { echo "bench: building build-release failed" >&2; exit 2; }
  export OPENBLAS_NUM_THREADS=1
  raw=$(mktemp) && out=$(mktemp -d) || exit 2
  for s in $sizes; do
    for mode in defaults central directional sampled threads blas floor; do
      /usr/bin/time -f "peak %M" -o "$out/time" build-release/checks/bench_scale "$s" "$mode" >"$out/line" ||
        { echo "bench: bench_scale $s $mode failed" >&2; exit 2; }
      echo "$(cat "$out/line") $(awk '{print $2}' "$out/time")" >>"$raw"
    done
    for m in central ridders cstep; do
      /usr/bin/time -f "%U %S %M" -o "$out/time" build-release/lib/gradverify --size "$s" --trials 1 \
        --only grad_V,grad_b2,grad_W,grad_b1 --method "$m" --out "$out/r" --quiet >/dev/null
      echo "harness $m $(echo "$s" | tr , ' ') x $(awk '{print $1 + $2, "-", "-", "-", $3}' "$out/time")" >>"$raw"
    done
  done
  torch="torch not installed (apt-get install python3-torch): no torch columns"
  if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    # shellcheck disable=SC2086
    /usr/bin/python3 scripts/bench_scale_torch.py $(echo $sizes) |
      awk '{print $1, $2, $3, $4, $5, $6, $7, $9, $11, "-", $10}' >>"$raw"
    torch=""
  fi
  echo "raw measurements: $raw" >&2
  gv_scale_table "$raw" "$sizes"
  [ -n "$torch" ] && echo && echo "$torch"
  rm -rf "$out"
}

# gv_scale_table RAW SIZES: the table from lines
#   WHAT MODE D H K n cpu_s evals_per_entry verdict f_us [wall_s] peak_kb (peak last)
gv_scale_table() {
  awk -v sizes="$2" '
    function key(d, h, k) { return d "," h "," k }
    {
      what = $1 " " $2; s = key($3, $4, $5)
      if ($1 == "harness") { n = $4 * $3 + $4 + $5 * $4 + $5; cpu = $7; ev = "-"; peak = $NF }
      else { n = $6; cpu = $2 == "threads" ? $11 : $7; ev = $8; peak = $NF }
      if (!(what in seen)) { seen[what] = 1; order[++nw] = what }
      N[s] = n; CPU[what, s] = cpu; EV[what, s] = ev; PK[what, s] = peak; V[what, s] = $9
    }
    END {
      ns = split(sizes, S, " ")
      big = S[ns]
      printf "| check | mode |"
      for (i = 1; i <= ns; i++) { t = S[i]; gsub(",", "-", t); printf " %s (%d params) |", t, N[S[i]] }
      printf " ratio to torch full | growth exponent | evals/entry at %s | peak MB at %s |\n", big, big
      printf "|---|---|"
      for (i = 1; i <= ns; i++) printf "---:|"
      printf "---|---:|---:|---:|\n"
      for (w = 1; w <= nw; w++) {
        what = order[w]; split(what, p, " ")
        label = p[1] == "api" ? "public API" : p[1] == "harness" ? "gradverify --size" : p[1] == "bare" ? "no checker (the bench)" : "torch gradcheck"
        mode = p[2] == "directional" ? "directional, k = 32" : p[2] == "sampled" ? "sampled, m = 1000" : p[2] == "threads" ? "threads = 2 (wall s)" : p[2]
        mode = p[2] == "blas" ? "defaults, f by gsl_blas_dgemv" : p[2] == "floor" ? "bare central differences, 2 evals/entry, no error bar" : mode
        printf "| %s | %s |", label, mode
        sx = sy = sxx = sxy = m = 0
        for (i = 1; i <= ns; i++) {
          c = CPU[what, S[i]]
          if (c == "") { printf " - |"; continue }
          printf " %.4g s%s |", c, (V[what, S[i]] == "FAIL" ? " (FAIL)" : "")
          if (c > 0) { x = log(N[S[i]]); y = log(c); sx += x; sy += y; sxx += x * x; sxy += x * y; m++ }
        }
        r = ""
        for (i = 2; i <= ns; i++) {
          t = CPU["torch full", S[i]]
          r = r (r == "" ? "" : " / ") (t > 0 && CPU[what, S[i]] != "" ? sprintf("%.3g", CPU[what, S[i]] / t) : "-")
        }
        slope = m > 1 ? (m * sxy - sx * sy) / (m * sxx - sx * sx) : 0
        pk = PK[what, big]
        printf " %s | %.2f | %s | %s |\n", r, slope, EV[what, big] == "" ? "-" : EV[what, big], pk == "" || pk == "-" ? "-" : sprintf("%.0f", pk / 1024)
      }
      printf "\nRatios to torch full at"
      for (i = 2; i <= ns; i++) printf " %s", S[i]
      printf ". CPU seconds (user + system): the check alone for the public API and torch, the whole\n"
      printf "process with its reports and gnuplot for gradverify --size; wall seconds for threads = 2.\n"
    }' "$1"
}
