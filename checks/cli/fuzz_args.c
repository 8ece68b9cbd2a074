/* fuzz_args.c: libFuzzer target for the command line's argument parser
 * (gv_cli_check_args). The input, split at NUL bytes, is argv[1..]. Besides
 * the sanitizers' findings, it aborts when the parser breaks its contract:
 * bad usage is exit 2 with exactly one line on stderr, "gradverify: " first
 * and no raw control character in it; anything else writes nothing to stderr.
 * Built with clang only; run by scripts/fuzz. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gv_cli.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int one_clean_line(const char *s, size_t n)
{
  if (n < 13 || strncmp(s, "gradverify: ", 12) != 0 || s[n - 1] != '\n')
    return 0;
  for (size_t i = 0; i + 1 < n; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
      return 0;
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *text = malloc(size + 1), *argv[MAX_ARGS + 1] = {"gradverify"};
  if (!text)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  int argc = 1;
  for (char *p = text; p <= text + size && argc < MAX_ARGS; p += strlen(p) + 1)
    argv[argc++] = p;
  argv[argc] = NULL;

  char *err_text = NULL;
  size_t err_size = 0;
  FILE *out = fopen("/dev/null", "w"), *err = open_memstream(&err_text, &err_size);
  if (!out || !err)
    abort();
  int code = gv_cli_check_args(argc, argv, out, err);
  fclose(out);
  fclose(err);
  if (code == 2 ? !one_clean_line(err_text, err_size) : (code != 0 && code != -1) || err_size)
    abort();
  free(err_text);
  free(text);
  return 0;
}
