/* gv_xml.c: the one escaper of the report writers. */
#include "gv_xml.h"

void gv_xml_puts(FILE *f, const char *s)
{
  for (; *s; s++) {
    switch (*s) {
    case '&':
      fputs("&amp;", f);
      break;
    case '<':
      fputs("&lt;", f);
      break;
    case '>':
      fputs("&gt;", f);
      break;
    case '"':
      fputs("&quot;", f);
      break;
    case '\'':
      fputs("&#39;", f); /* &apos; is not HTML 4; this is both */
      break;
    default:
      fputc(*s, f);
    }
  }
}
