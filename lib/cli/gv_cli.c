/* gv_cli.c: argument parsing (getopt_long), the run, the reports, the summary. */
#include "gv_cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gsl/gsl_errno.h>

#include "gv_driver.h"
#include "gv_cli_grade.h"
#include "gv_explain.h"
#include "gv_report.h"
#include "gv_report_set.h"

#define MAX_TRIALS 10000000UL
#define MAX_TRIALS_TEXT "10000000"

static const char usage_text[] =
    "Usage: gradverify [OPTION]...\n"
    "       gradverify explain ID [--seed N] | explain --list\n"
    "       gradverify grade FILE... [-j N] [--out DIR] [--seed S] [--points FILE]\n"
    "Checks every gradient of the seed solution (a two-layer ReLU network with softmax\n"
    "and cross-entropy, and the matrix-calculus identities) and of the layer catalogue\n"
    "(affine.dW, ...) against finite differences over seeded random trials, runs the\n"
    "planted-mistake controls, and writes the gradient report.\n"
    "\n"
    "  -s, --seed N        seed of every random draw (default %lu)\n"
    "  -t, --trials N      random trials per formula and per control (default %d; a\n"
    "                      ceiling for layer formulas with large draws)\n"
    "  -o, --out DIR       directory for gradient-report.{md,json,html} and junit.xml\n"
    "                      (default reports)\n"
    "      --only IDS      check only these, comma-separated: the seed's formula ids\n"
    "                      (softmax_jacobian, grad_W, ...), a layer's name for all its\n"
    "                      gradients, or one gradient as LAYER.dINPUT (affine.dW); layers:\n"
    "                      affine relu leaky_relu sigmoid tanh softplus elu gelu\n"
    "                      softmax_ce svm_hinge mse bce_logits l2 dropout embedding\n"
    "                      batchnorm layernorm rnn_step mlp avgpool maxpool conv2d\n"
    "                      lstm_step; --list shows every id\n"
    "      --size D,H,K    the network formulas at D inputs, H hidden units, K classes\n"
    "                      (default: drawn per trial, D, H up to 20, K up to 10)\n"
    "      --atol X, --rtol X, --kerr X\n"
    "                      the tolerance: an entry passes iff |analytic - numeric| <=\n"
    "                      atol + rtol*max(|analytic|,|numeric|) + kerr*e (defaults %g, %g,\n"
    "                      %g; with --method cstep %g, 0, %g: the error bar decides)\n"
    "  -m, --method M      numeric side: central (default; 4 evaluations per entry),\n"
    "                      ridders (extrapolation, ~15-25) or cstep (complex step, 1,\n"
    "                      where a complex implementation exists; ridders elsewhere)\n"
    "  -q, --quiet         print only the verdict line\n"
    "  -l, --list          list the formula ids, grouped by layer, and exit\n"
    "  -h, --help          show this help and exit\n"
    "  -V, --version       show the version and exit\n"
    "\n"
    "Exit status: 0 all formulas pass and all controls are caught, 1 otherwise,\n"
    "2 bad usage or a system error.\n";

typedef struct {
  gv_driver_options driver;
  int tol_set[3]; /* --atol, --rtol, --kerr given: the method's defaults keep off */
  const char *out_dir;
  char *only_buf;    /* owned copy of the --only argument, split in place */
  const char **only; /* owned array of pointers into only_buf */
  int quiet;
  const gv_suite *suite; /* what the run checks */
} cli_options;

/* An argument as it may be echoed on one line of a terminal: control
 * characters and backslashes escaped C-style (\n, \t, \\, \x1b), cut at
 * GV_ECHO_MAX bytes with "...". Returns buf. */
#define GV_ECHO_MAX 200
static const char *echo(const char *s, char *buf, size_t size)
{
  static const char hex[] = "0123456789abcdef";
  size_t k = 0, i = 0;
  for (; s[i] && i < GV_ECHO_MAX && k + 5 < size; i++) {
    unsigned char c = (unsigned char)s[i];
    const char *named = c == '\n'   ? "\\n"
                        : c == '\t' ? "\\t"
                        : c == '\r' ? "\\r"
                        : c == '\\' ? "\\\\"
                                    : NULL;
    if (named) {
      memcpy(buf + k, named, 2);
      k += 2;
    } else if (c < 0x20 || c == 0x7f) {
      buf[k++] = '\\', buf[k++] = 'x', buf[k++] = hex[c >> 4], buf[k++] = hex[c & 15];
    } else {
      buf[k++] = (char)c;
    }
  }
  if (s[i] && k + 4 <= size)
    memcpy(buf + k, "...", 3), k += 3;
  buf[k] = '\0';
  return buf;
}

/* One stderr line: fmt with its single %s replaced by arg, escaped. */
static void complain(FILE *err, const char *fmt, const char *arg)
{
  char buf[4 * GV_ECHO_MAX + 8];
  fputs("gradverify: ", err);
  fprintf(err, fmt, echo(arg, buf, sizeof buf));
  fputc('\n', err);
}

/* An unsigned decimal: digits only (strtoul would take "-3" and " 7"). */
static int parse_count(const char *s, unsigned long max, unsigned long *v)
{
  if (!s[0] || strspn(s, "0123456789") != strlen(s))
    return -1;
  errno = 0;
  unsigned long x = strtoul(s, NULL, 10);
  if (errno || x > max)
    return -1;
  *v = x;
  return 0;
}

/* A tolerance: a finite number >= 0, all of the argument. strtod's ERANGE on
 * underflow (4e-320 is a subnormal, 1e-400 becomes 0) is no error here; an
 * overflow comes back infinite and is refused as such. */
static int parse_tolerance(const char *s, double *v)
{
  char *end;
  double x = strtod(s, &end);
  if (!s[0] || *end || !isfinite(x) || x < 0.0)
    return -1;
  *v = x;
  return 0;
}

/* "D,H,K": the network's sizes, D and H at least 1, K at least 2, each at
 * most MAX_NET_SIZE. Returns 0, -1 when s is not three comma-separated
 * integers, 1 when it is but one is out of range (the user learns which). */
#define MAX_NET_SIZE 1000000UL
#define MAX_NET_SIZE_TEXT "1000000"
#define NET_SIZE_RULE "D and H from 1 to " MAX_NET_SIZE_TEXT ", K from 2 to " MAX_NET_SIZE_TEXT
static int parse_net_size(const char *s, size_t size[3])
{
  unsigned long v[3];
  int out_of_range = 0;
  for (int k = 0; k < 3; k++) {
    const size_t n = strspn(s, "0123456789");
    if (n == 0 || s[n] != (k < 2 ? ',' : '\0'))
      return -1;
    errno = 0;
    v[k] = strtoul(s, NULL, 10); /* stops at the ',' */
    out_of_range |= errno || v[k] > MAX_NET_SIZE || v[k] < (k == 2 ? 2UL : 1UL);
    s += n + 1;
  }
  if (out_of_range)
    return 1;
  for (int k = 0; k < 3; k++)
    size[k] = v[k];
  return 0;
}

/* --size: a malformed value and one out of range are told apart. */
static int take_size(const char *arg, cli_options *o, FILE *err)
{
  const int bad = parse_net_size(arg, o->driver.net_size);
  if (bad > 0)
    complain(err, "--size: '%s' is out of range (" NET_SIZE_RULE ")", arg);
  else if (bad < 0)
    complain(err, "--size: '%s' is not D,H,K (three integers, " NET_SIZE_RULE ")", arg);
  return bad ? -1 : 0;
}

/* Splits "a,b,c" into the ids, checking each. */
static int parse_only(cli_options *o, const char *arg, FILE *err)
{
  free(o->only_buf);
  free(o->only);
  o->only_buf = strdup(arg);
  size_t n = 1;
  for (const char *p = arg; *p; p++)
    n += *p == ',';
  o->only = calloc(n, sizeof *o->only);
  if (!o->only_buf || !o->only) {
    fprintf(err, "gradverify: out of memory\n");
    return -1;
  }
  size_t k = 0;
  for (char *save = NULL, *id = strtok_r(o->only_buf, ",", &save); id;
       id = strtok_r(NULL, ",", &save)) {
    if (!gv_suite_knows(o->suite, id)) {
      complain(err, "--only: unknown formula id or layer '%s' (gradverify --list shows them)", id);
      return -1;
    }
    o->only[k++] = id;
  }
  if (k == 0) {
    complain(err, "--only: '%s' names no formula id", arg);
    return -1;
  }
  o->driver.only = o->only;
  o->driver.n_only = k;
  return 0;
}

/* --atol, --rtol, --kerr (c is 'A', 'R' or 'K'). */
static int take_tolerance(int c, const char *arg, cli_options *o, FILE *err)
{
  const int k = c == 'A' ? 0 : c == 'R' ? 1 : 2;
  /* Literal formats, not a table: gcc's -Wformat-overflow (ASan builds) cannot
   * see that a table entry is never NULL. */
  const char *fmt = k == 0   ? "--atol: '%s' is not a finite number >= 0"
                    : k == 1 ? "--rtol: '%s' is not a finite number >= 0"
                             : "--kerr: '%s' is not a finite number >= 0";
  double *dst[] = {&o->driver.tol.atol, &o->driver.tol.rtol, &o->driver.tol.kerr};
  o->tol_set[k] = 1;
  if (parse_tolerance(arg, dst[k])) {
    complain(err, fmt, arg);
    return -1;
  }
  return 0;
}

/* An option that takes a value; -1 after one line on err when it is bad. */
static int take_value(int c, const char *arg, cli_options *o, FILE *err)
{
  unsigned long v;
  switch (c) {
  case 's':
    if (parse_count(arg, (unsigned long)-1, &v)) {
      complain(err, "--seed: '%s' is not a non-negative integer", arg);
      return -1;
    }
    o->driver.seed = v;
    return 0;
  case 't':
    if (parse_count(arg, MAX_TRIALS, &v) || v == 0) {
      complain(err, "--trials: '%s' is not an integer from 1 to " MAX_TRIALS_TEXT, arg);
      return -1;
    }
    o->driver.trials = v;
    return 0;
  case 'o':
    o->out_dir = arg;
    if (!arg[0])
      fprintf(err, "gradverify: --out: the directory name is empty\n");
    return arg[0] ? 0 : -1;
  case 'O':
    return parse_only(o, arg, err);
  case 'S':
    return take_size(arg, o, err);
  case 'm':
    if (gv_method_parse(arg, &o->driver.method)) {
      complain(err, "--method: unknown method '%s' (central, ridders or cstep)", arg);
      return -1;
    }
    return 0;
  default:
    return take_tolerance(c, arg, o, err);
  }
}

/* The option getopt stopped at, as the user wrote it: "-x" for a short
 * option (also inside a cluster such as -xq), the argument for a long one. */
static void bad_option(const char *fmt, char **argv, FILE *err)
{
  char shortopt[3] = {'-', (char)optopt, '\0'};
  const char *arg = argv[optind - 1];
  complain(err, fmt, strncmp(arg, "--", 2) == 0 || !optopt ? arg : shortopt);
}

/* -l, -h, -V: print to out. */
static void act(int c, const cli_options *o, FILE *out)
{
  if (c == 'l')
    gv_suite_fprint(out, o->suite);
  else if (c == 'h')
    fprintf(out, usage_text, GV_DRIVER_DEFAULT_SEED, GV_DRIVER_DEFAULT_TRIALS, GV_TOL_DEFAULT_ATOL,
            GV_TOL_DEFAULT_RTOL, GV_TOL_DEFAULT_KERR, GV_TOL_ERRBAR_ATOL, GV_TOL_DEFAULT_KERR);
  else
    fprintf(out, "gradverify %s\n", GV_VERSION);
}

/* The method's own default for each tolerance the command line left alone. */
static void method_defaults(cli_options *o)
{
  gv_tol def;
  gv_driver_default_tol(o->driver.method, &def);
  if (!o->tol_set[0])
    o->driver.tol.atol = def.atol;
  if (!o->tol_set[1])
    o->driver.tol.rtol = def.rtol;
  if (!o->tol_set[2])
    o->driver.tol.kerr = def.kerr;
}

/* Returns -1 to exit with GV_EXIT_USAGE, 1 to exit 0 (help, version, list), 0 to run. */
static int parse(int argc, char **argv, cli_options *o, FILE *out, FILE *err)
{
  static const struct option longopts[] = {
      {"seed", required_argument, NULL, 's'}, {"trials", required_argument, NULL, 't'},
      {"out", required_argument, NULL, 'o'},  {"only", required_argument, NULL, 'O'},
      {"quiet", no_argument, NULL, 'q'},      {"method", required_argument, NULL, 'm'},
      {"list", no_argument, NULL, 'l'},       {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},    {"atol", required_argument, NULL, 'A'},
      {"rtol", required_argument, NULL, 'R'}, {"kerr", required_argument, NULL, 'K'},
      {"size", required_argument, NULL, 'S'}, {NULL, 0, NULL, 0},
  };
  int c;
  optind = 0; /* glibc: a full reinitialisation, so that the parser can run again */
  opterr = 0; /* our own messages, one line each */
  while ((c = getopt_long(argc, argv, ":s:t:o:m:qlhV", longopts, NULL)) != -1) {
    if (c == 'q') {
      o->quiet = 1;
    } else if (c == 'l' || c == 'h' || c == 'V') {
      act(c, o, out);
      return 1;
    } else if (c == ':') {
      bad_option("%s needs a value (see gradverify --help)", argv, err);
      return -1;
    } else if (c == '?') {
      bad_option("unknown option '%s' (see gradverify --help)", argv, err);
      return -1;
    } else if (take_value(c, optarg, o, err)) {
      return -1;
    }
  }
  if (optind < argc) {
    complain(err, "unexpected argument '%s' (see gradverify --help)", argv[optind]);
    return -1;
  }
  method_defaults(o);
  return 0;
}

static void print_summary(FILE *out, const gv_run *run, const char *dir, int quiet)
{
  char buf[64];
  const gv_run_totals n = gv_run_count(run);
  if (!quiet) {
    fprintf(out, "gradverify %s: seed %lu, %zu trials per formula\n", GV_VERSION, run->seed,
            run->trials);
    for (size_t i = 0; i < run->n_formulas; i++) {
      const gv_formula_result *fr = &run->formulas[i];
      gv_formula_status v = gv_formula_verdict(fr);
      if (v == GV_FORMULA_NOT_DRAWN) {
        fprintf(out, "  ----  %-24s not drawn: a placeholder in all %zu trials, nothing checked\n",
                fr->formula->id, fr->trials);
        continue;
      }
      fprintf(out, "  %-4s  %-24s %-7s max rel err %.1e  worst %.2f of tolerance  Taylor %s\n",
              v == GV_FORMULA_PASS ? "pass" : "FAIL", fr->formula->id, gv_method_name(fr->method),
              fr->cmp.max_rel, fr->cmp.worst_ratio,
              gv_taylor_stats_str(&fr->taylor, buf, sizeof buf));
      if (v == GV_FORMULA_FAIL)
        fprintf(out, "        worst: trial %zu, entry (%zu, %zu): analytic %.10g, numeric %.10g\n",
                fr->cmp.worst_trial, fr->cmp.worst_row, fr->cmp.worst_col, fr->cmp.worst_analytic,
                fr->cmp.worst_numeric);
    }
    for (size_t i = 0; i < run->n_controls; i++) {
      const gv_control_result *cr = &run->controls[i];
      fprintf(out, "  %-6s control %-22s in %zu of %zu trials\n", cr->caught ? "caught" : "MISSED",
              cr->control->id, cr->caught_trials, cr->trials);
    }
    fprintf(out, "report: %s/%s (also .json, .html) and %s/%s\n", dir, GV_REPORT_MD, dir,
            GV_REPORT_JUNIT);
  }
  fprintf(out, "%s: %zu of %zu formulas pass, ", run->pass ? "PASS" : "FAIL", n.passed,
          run->n_formulas);
  if (n.not_drawn)
    fprintf(out, "%zu not drawn (never checked), ", n.not_drawn);
  fprintf(out, "%zu of %zu controls caught (seed %lu)\n", n.caught, run->n_controls, run->seed);
}

/* Writes the report set into dir as one (gv_report_set.h); one line on err
 * and -1 on failure, with dir as it was. */
static int write_reports(const gv_run *run, const char *dir, FILE *err)
{
  static const char *const names[] = {GV_REPORT_JSON, GV_REPORT_MD, GV_REPORT_JUNIT,
                                      GV_REPORT_HTML};
  char buf[4 * GV_ECHO_MAX + 8];
  const char *failed = NULL;
  int err_no = 0, plots_skipped = 0, is_file = 0;
  if (gv_report_write_set(run, dir, &plots_skipped, &err_no, &failed)) {
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
      is_file |= strcmp(failed, names[i]) == 0;
    fprintf(err,
            is_file ? "gradverify: --out: cannot write %s in '%s': %s\n"
                    : "gradverify: --out: cannot %s '%s': %s\n",
            failed, echo(dir, buf, sizeof buf), err_no ? strerror(err_no) : "out of memory");
    return -1;
  }
  if (plots_skipped == 1)
    fprintf(err, "gradverify: plots skipped: gnuplot is not installed "
                 "(apt-get install gnuplot-nox)\n");
  else if (plots_skipped == 2)
    fprintf(err, "gradverify: some plots failed: gnuplot is installed but did not run "
                 "(the page marks where they would be)\n");
  return 0;
}

/* The worked example of id: the seed's formulas' own, or a layer's. */
static int explain_one(const gv_suite *suite, const char *id, unsigned long seed, FILE *out,
                       FILE *err)
{
  const gv_formula *f = gv_suite_find(suite, id);
  if (!f) {
    complain(err, "explain: unknown formula id '%s' (gradverify explain --list)", id);
    return GV_EXIT_USAGE;
  }
  if (f->layer ? gv_explain_layer(out, f, seed) : gv_explain_print(out, id, seed)) {
    complain(err, "explain: the example for '%s' could not be computed", id);
    return GV_EXIT_USAGE;
  }
  return GV_EXIT_PASS;
}

/* gradverify explain ID [--seed N] | explain --list */
static int explain_main(const gv_suite *suite, int argc, char **argv, FILE *out, FILE *err)
{
  unsigned long seed = GV_DRIVER_DEFAULT_SEED;
  const char *id = NULL;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--list") == 0) {
      gv_suite_fprint(out, suite);
      return GV_EXIT_PASS;
    } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      if (parse_count(argv[++i], (unsigned long)-1, &seed)) {
        complain(err, "explain --seed: '%s' is not a non-negative integer", argv[i]);
        return GV_EXIT_USAGE;
      }
    } else if (!id && argv[i][0] != '-') {
      id = argv[i];
    } else {
      complain(err, "explain: unexpected argument '%s' (see gradverify --help)", argv[i]);
      return GV_EXIT_USAGE;
    }
  }
  if (!id) {
    fprintf(err, "gradverify: explain: which formula? (gradverify explain --list shows them)\n");
    return GV_EXIT_USAGE;
  }
  return explain_one(suite, id, seed, out, err);
}

/* The run: parse, drive, write the report set, summarize. */
static int run_main(const gv_suite *suite, int argc, char **argv, FILE *out, FILE *err)
{
  cli_options o = {.out_dir = "reports", .suite = suite};
  gv_driver_options_init(&o.driver);
  o.driver.suite = suite;
  gv_run run = {0};
  int code = GV_EXIT_USAGE;

  int p = parse(argc, argv, &o, out, err);
  if (p) {
    code = p > 0 ? GV_EXIT_PASS : GV_EXIT_USAGE;
    goto out;
  }
  /* The output directory first: a run of the whole catalogue should not end
   * in a directory that cannot be created. */
  if (mkdir(o.out_dir, 0777) != 0 && errno != EEXIST) {
    fprintf(err, "gradverify: --out: cannot create directory '%s': %s\n", o.out_dir,
            strerror(errno));
    goto out;
  }
  int status = gv_driver_run(&o.driver, &run);
  if (status) {
    fprintf(err, "gradverify: the run could not complete: %s\n", gsl_strerror(status));
    goto out;
  }
  if (write_reports(&run, o.out_dir, err))
    goto out;
  print_summary(out, &run, o.out_dir, o.quiet);
  code = run.pass ? GV_EXIT_PASS : GV_EXIT_FAIL;
out:
  gv_run_free(&run);
  free(o.only);
  free(o.only_buf);
  return code;
}

/* explain or a run (argument checks only when check_only), with the suite. */
static int suite_main(int argc, char **argv, FILE *out, FILE *err, int check_only)
{
  gv_suite *suite = gv_suite_alloc_default();
  if (!suite) {
    fprintf(err, "gradverify: out of memory\n");
    return GV_EXIT_USAGE;
  }
  int code;
  if (argc > 1 && strcmp(argv[1], "explain") == 0) {
    code = explain_main(suite, argc, argv, out, err);
  } else if (check_only) {
    cli_options o = {.out_dir = "reports", .suite = suite};
    gv_driver_options_init(&o.driver);
    int p = parse(argc, argv, &o, out, err);
    free(o.only);
    free(o.only_buf);
    code = p < 0 ? GV_EXIT_USAGE : p > 0 ? GV_EXIT_PASS : -1;
  } else {
    code = run_main(suite, argc, argv, out, err);
  }
  gv_suite_free(suite);
  return code;
}

int gv_cli_check_args(int argc, char **argv, FILE *out, FILE *err)
{
  return suite_main(argc, argv, out, err, 1);
}

#ifdef GV_OPENBLAS
/* OpenBLAS splits a product over as many threads as the machine has cores
 * (or OPENBLAS_NUM_THREADS says), and the order of the partial sums with
 * them: the Taylor slopes of a run at --size 784,128,10 differed in the 9th
 * digit between 1 and 2 threads. One thread everywhere: the same seed gives
 * the same numbers on any machine. From OpenBLAS's cblas.h, which clashes
 * with gsl_cblas.h. */
void openblas_set_num_threads(int num_threads);
#endif

int gv_cli_main(int argc, char **argv, FILE *out, FILE *err)
{
#ifdef GV_OPENBLAS
  openblas_set_num_threads(1);
#endif
  int code = argc > 1 && strcmp(argv[1], "grade") == 0
                 ? gv_cli_grade_main(argc - 1, argv + 1, out, err)
                 : suite_main(argc, argv, out, err, 0);
  /* What went to out must have arrived (a full disk, a closed pipe or
   * descriptor): as coreutils' close_stdout, a lost output is an error. */
  errno = 0;
  if (fflush(out) != 0 || ferror(out)) {
    int e = errno;
    fprintf(err, "gradverify: cannot write the output%s%s\n", e ? ": " : "", e ? strerror(e) : "");
    code = GV_EXIT_USAGE;
  }
  return code;
}
