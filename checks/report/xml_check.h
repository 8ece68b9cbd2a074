/* xml_check.h: the one XML checker of the report suites (check_html,
 * check_junit), on libxml2's parser: well-formedness, and for the HTML page
 * what the tests look for in its tree. */
#ifndef XML_CHECK_H
#define XML_CHECK_H

#include <stddef.h>

/* NULL when text is one well-formed XML document, else libxml2's message
 * (static storage, valid until the next call). Never fetches anything. */
const char *xml_check(const char *text);

/* What the HTML tests read from a page's tree. */
typedef struct {
  char **ids; /* every id attribute, in document order */
  size_t n_ids;
  char **hrefs; /* every in-page reference href="#X", as X */
  size_t n_hrefs;
  char **figures;    /* ids of <figure class="plot"> */
  int *figure_svgs;  /* <svg> elements inside each */
  int *figure_skips; /* <p class="skip"> inside each */
  size_t n_figures;
  size_t n_svg, n_skip, n_script;
  char error[256]; /* why xml_doc_read failed */
} xml_doc;

/* Parses text into d; 0 with d->error set when it is not well-formed. */
int xml_doc_read(const char *text, xml_doc *d);
void xml_doc_free(xml_doc *d);

int xml_doc_has_id(const xml_doc *d, const char *id);
/* The index of the figure with this id, or -1. */
long xml_doc_figure(const xml_doc *d, const char *id);

#endif
