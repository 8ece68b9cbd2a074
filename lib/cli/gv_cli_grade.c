/* gv_cli_grade.c: the grade subcommand: options, worker threads, summary. */
#include "gv_cli_grade.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <jansson.h>

#include "gv_assign.h"
#include "gv_cli.h"
#include "gv_grade.h"
#include "gv_grade_report.h"

static const char grade_usage[] =
    "usage: gradverify grade FILE... [-j N] [--out DIR] [--seed S] [--points FILE] [--quiet]\n"
    "  FILE       a submission: a .c file (compiled against gradverify/assignment.h) or a .so\n"
    "  -j N       grade N submissions at once (default 1)\n"
    "  --out DIR  reports, gradebook.csv/.json and junit.xml go here (default grades)\n"
    "  --seed S   the draw every function is tested on (default 1)\n"
    "  --points FILE  JSON object: points per function name, or per \"forward\" / \"backward\"\n"
    "                 (default 1 per forward, 2 per backward)\n";

typedef struct {
  unsigned long jobs, seed;
  const char *out, *points;
  int quiet;
} grade_options;

static int parse_ulong(const char *s, unsigned long max, unsigned long *v)
{
  char *end;
  errno = 0;
  unsigned long x = strtoul(s, &end, 10);
  if (errno || end == s || *end || s[0] == '-' || x > max)
    return -1;
  *v = x;
  return 0;
}

/* Applies option c with its argument: 0 when taken, 1 for --help, -1 for a
 * bad value or an unknown option (the caller complains). */
static int take_option(int c, const char *arg, grade_options *o)
{
  switch (c) {
  case 'j':
    return parse_ulong(arg, 256, &o->jobs) == 0 && o->jobs > 0 ? 0 : -1;
  case 's':
    return parse_ulong(arg, (unsigned long)-1, &o->seed) == 0 ? 0 : -1;
  case 'o':
    o->out = arg;
    return 0;
  case 'p':
    o->points = arg;
    return 0;
  case 'q':
    o->quiet = 1;
    return 0;
  case 'h':
    return 1;
  default:
    return -1;
  }
}

static int parse_grade(int argc, char **argv, grade_options *o, FILE *err)
{
  static const struct option longs[] = {
      {"out", required_argument, NULL, 'o'},    {"seed", required_argument, NULL, 's'},
      {"points", required_argument, NULL, 'p'}, {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
  *o = (grade_options){.jobs = 1, .seed = 1, .out = "grades"};
  optind = 0;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "j:", longs, NULL)) != -1) {
    int taken = take_option(c, optarg, o);
    if (taken > 0)
      return 1;
    if (taken == 0)
      continue;
    if (c == 'j' || c == 's')
      fprintf(err, "gradverify: grade %s: '%s' is not a valid value\n", argv[optind - 1], optarg);
    else
      fprintf(err,
              "gradverify: grade: unknown option or missing value '%s' (see gradverify grade "
              "--help)\n",
              argv[optind - 1]);
    return -1;
  }
  if (optind >= argc) {
    fprintf(err, "gradverify: grade: which submissions? (gradverify grade --help)\n");
    return -1;
  }
  return 0;
}

/* Points per function from a JSON object; -1 with a line on err if bad. */
static int load_points(const char *path, double *points, FILE *err)
{
  json_error_t e;
  json_t *root = json_load_file(path, 0, &e);
  if (!root || !json_is_object(root)) {
    fprintf(err, "gradverify: grade --points: '%s': %s\n", path,
            root ? "not a JSON object" : e.text);
    json_decref(root);
    return -1;
  }
  const char *key;
  json_t *v;
  json_object_foreach(root, key, v)
  {
    int k = gv_assign_find(key);
    int kind = strcmp(key, "forward") == 0 ? 0 : strcmp(key, "backward") == 0 ? 1 : -1;
    if ((k < 0 && kind < 0) || !json_is_number(v) || json_number_value(v) < 0) {
      fprintf(err,
              "gradverify: grade --points: '%s': bad entry '%s' (a function name, "
              "\"forward\" or \"backward\", with a number >= 0)\n",
              path, key);
      json_decref(root);
      return -1;
    }
    for (size_t f = 0; f < gv_assign_nfns && kind >= 0; f++)
      if (gv_assign_fns[f].backward == kind && !json_object_get(root, gv_assign_fns[f].name))
        points[f] = json_number_value(v);
    if (k >= 0)
      points[k] = json_number_value(v);
  }
  json_decref(root);
  return 0;
}

/* The class being graded: workers take the next file until none is left. */
typedef struct {
  pthread_mutex_t lock;
  size_t next, done, n;
  char **files;
  gv_student *students;
  int *status;
  const gv_grade_opts *opts;
  FILE *progress; /* NULL: no progress line */
} work;

static void *worker(void *arg)
{
  work *w = arg;
  for (;;) {
    pthread_mutex_lock(&w->lock);
    size_t i = w->next < w->n ? w->next++ : w->n;
    pthread_mutex_unlock(&w->lock);
    if (i == w->n)
      return NULL;
    w->status[i] = gv_grade_student(w->files[i], w->opts, &w->students[i]);
    pthread_mutex_lock(&w->lock);
    w->done++;
    if (w->progress) {
      fprintf(w->progress, "\rgrading: %zu of %zu submissions done", w->done, w->n);
      fflush(w->progress);
    }
    pthread_mutex_unlock(&w->lock);
  }
}

static int run_workers(work *w, unsigned long jobs)
{
  pthread_t t[256];
  size_t started = 0;
  if (jobs > w->n)
    jobs = w->n;
  for (; started < jobs; started++)
    if (pthread_create(&t[started], NULL, worker, w))
      break;
  if (started == 0)
    worker(w);
  for (size_t k = 0; k < started; k++)
    pthread_join(t[k], NULL);
  if (w->progress)
    fputc('\n', w->progress);
  return GSL_SUCCESS;
}

/* Report names, unique, and never those of the class files. */
static char **report_names(char **files, size_t n)
{
  char **names = calloc(n, sizeof *names);
  for (size_t i = 0; names && i < n; i++) {
    char *base = gv_grade_report_name(files[i]);
    char *name = base ? malloc(strlen(base) + 24) : NULL;
    if (!name) {
      free(base);
      return names; /* the caller sees the NULL entry */
    }
    strcpy(name, base);
    int clash = strcmp(name, "gradebook") == 0 || strcmp(name, "junit") == 0;
    for (size_t j = 0, dup = 1; j < i; j++)
      if (strcmp(names[j], name) == 0 || clash) {
        sprintf(name, "%s-%zu", base, ++dup);
        clash = 0;
        j = (size_t)-1; /* start over: the new name may clash too */
      }
    free(base);
    names[i] = name;
  }
  return names;
}

static void summary_line(FILE *out, const char *name, const gv_student *s)
{
  fprintf(out, "%s: %g / %g points", name, s->points, s->max_points);
  const char *sep = "; ";
  size_t missing = 0;
  for (size_t k = 0; k < s->nfn; k++) {
    const gv_fn_grade *g = &s->fn[k];
    if (g->verdict == GV_FN_MISSING) {
      missing++;
    } else if (g->verdict != GV_FN_PASS && !s->load_failed) {
      fprintf(out, "%s%s %s", sep, gv_assign_fns[k].name, gv_fn_verdict_name(g->verdict));
      sep = ", ";
    }
  }
  if (s->load_failed)
    fprintf(out, "%sdid not compile or load", sep);
  else if (missing)
    fprintf(out, "%s%zu missing", sep, missing);
  fputc('\n', out);
}

/* GV_EXIT_USAGE, with a line on err, if some submission could not be graded
 * at all (as opposed to graded badly); GV_EXIT_PASS otherwise. */
static int all_graded(const work *w, FILE *err)
{
  for (size_t i = 0; i < w->n; i++)
    if (w->status[i]) {
      fprintf(err, "gradverify: grade: could not grade '%s': %s\n", w->files[i],
              gsl_strerror(w->status[i]));
      return GV_EXIT_USAGE;
    }
  return GV_EXIT_PASS;
}

/* Writes the class's reports, then a summary line per student (unless
 * quiet): GV_EXIT_FAIL when some student lost points, GV_EXIT_USAGE when the
 * reports could not be written. */
static int report_class(const grade_options *go, const gv_grade_opts *opts, char **names, work *w,
                        FILE *out, FILE *err)
{
  gv_class c = {.seed = opts->seed, .n = w->n, .names = names, .students = w->students};
  const char *failed = NULL;
  int err_no = 0;
  if (gv_grade_write_reports(&c, go->out, &failed, &err_no)) {
    fprintf(err, "gradverify: grade --out: cannot write %s in '%s': %s\n", failed, go->out,
            err_no ? strerror(err_no) : "out of memory");
    return GV_EXIT_USAGE;
  }
  int rc = GV_EXIT_PASS;
  for (size_t i = 0; i < w->n; i++) {
    if (!go->quiet)
      summary_line(out, names[i], &w->students[i]);
    if (w->students[i].points < w->students[i].max_points)
      rc = GV_EXIT_FAIL;
  }
  return rc;
}

static void class_free(work *w, char **names)
{
  for (size_t i = 0; i < w->n; i++) {
    if (w->students)
      gv_student_free(&w->students[i]);
    if (names)
      free(names[i]);
  }
  free(names);
  free(w->students);
  free(w->status);
}

static int grade_class(const grade_options *go, char **files, size_t n, const gv_grade_opts *opts,
                       FILE *out, FILE *err)
{
  work w = {.n = n,
            .files = files,
            .opts = opts,
            .progress = !go->quiet && isatty(fileno(err)) ? err : NULL};
  w.students = calloc(n, sizeof *w.students);
  w.status = calloc(n, sizeof *w.status);
  char **names = report_names(files, n);
  int rc = GV_EXIT_USAGE;
  if (!w.students || !w.status || !names || (n && !names[n - 1]) ||
      pthread_mutex_init(&w.lock, NULL)) {
    fprintf(err, "gradverify: grade: out of memory\n");
  } else {
    run_workers(&w, go->jobs);
    pthread_mutex_destroy(&w.lock);
    rc = all_graded(&w, err);
    if (rc == GV_EXIT_PASS)
      rc = report_class(go, opts, names, &w, out, err);
  }
  class_free(&w, names);
  return rc;
}

int gv_cli_grade_main(int argc, char **argv, FILE *out, FILE *err)
{
  grade_options go;
  int p = parse_grade(argc, argv, &go, err);
  if (p)
    return p > 0 ? (fputs(grade_usage, out), GV_EXIT_PASS) : GV_EXIT_USAGE;
  gv_grade_opts opts;
  gv_grade_opts_init(&opts);
  opts.seed = go.seed;
  double points[64];
  for (size_t k = 0; k < gv_assign_nfns && k < 64; k++)
    points[k] = gv_assign_fns[k].backward ? GV_GRADE_POINTS_BACKWARD : GV_GRADE_POINTS_FORWARD;
  if (go.points && load_points(go.points, points, err))
    return GV_EXIT_USAGE;
  opts.points = points;
  if (!opts.cc || access(opts.runner, X_OK) != 0) {
    fprintf(err, "gradverify: grade: %s not found\n", opts.cc ? opts.runner : "a C compiler (cc)");
    return GV_EXIT_USAGE;
  }
  for (int i = optind; i < argc; i++)
    if (access(argv[i], R_OK) != 0) {
      fprintf(err, "gradverify: grade: cannot read '%s': %s\n", argv[i], strerror(errno));
      return GV_EXIT_USAGE;
    }
  if (mkdir(go.out, 0777) != 0 && errno != EEXIST) {
    fprintf(err, "gradverify: grade --out: cannot create directory '%s': %s\n", go.out,
            strerror(errno));
    return GV_EXIT_USAGE;
  }
  return grade_class(&go, argv + optind, (size_t)(argc - optind), &opts, out, err);
}
