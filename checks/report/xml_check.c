/* xml_check.c: the report suites' XML checker, on libxml2. */
#include "xml_check.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

static char last_error[256];

static xmlDocPtr read_doc(const char *text)
{
  xmlDocPtr doc = xmlReadMemory(text, (int)strlen(text), "report.xml", "UTF-8",
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!doc) {
    const xmlError *e = xmlGetLastError();
    snprintf(last_error, sizeof last_error, "line %d: %s", e ? e->line : 0,
             e && e->message ? e->message : "not well-formed");
  }
  return doc;
}

const char *xml_check(const char *text)
{
  xmlDocPtr doc = read_doc(text);
  xmlFreeDoc(doc);
  return doc ? NULL : last_error;
}

static void push(char ***list, size_t *n, const char *s)
{
  *list = realloc(*list, (*n + 1) * sizeof **list);
  (*list)[(*n)++] = strdup(s);
}

static int has_class(xmlNodePtr node, const char *cls)
{
  xmlChar *c = xmlGetProp(node, (const xmlChar *)"class");
  int yes = c && strcmp((const char *)c, cls) == 0;
  xmlFree(c);
  return yes;
}

static int named(xmlNodePtr node, const char *name)
{
  return strcmp((const char *)node->name, name) == 0;
}

/* figure: the index of the plot figure this node is inside, or -1. */
static void walk(xmlNodePtr node, xml_doc *d, long figure)
{
  for (; node; node = node->next) {
    if (node->type != XML_ELEMENT_NODE)
      continue;
    long inside = figure;
    xmlChar *id = xmlGetProp(node, (const xmlChar *)"id");
    xmlChar *href = xmlGetProp(node, (const xmlChar *)"href");
    if (id)
      push(&d->ids, &d->n_ids, (const char *)id);
    if (href && href[0] == '#')
      push(&d->hrefs, &d->n_hrefs, (const char *)href + 1);
    if (named(node, "figure") && has_class(node, "plot") && id) {
      push(&d->figures, &d->n_figures, (const char *)id);
      d->figure_svgs = realloc(d->figure_svgs, d->n_figures * sizeof *d->figure_svgs);
      d->figure_skips = realloc(d->figure_skips, d->n_figures * sizeof *d->figure_skips);
      inside = (long)d->n_figures - 1;
      d->figure_svgs[inside] = d->figure_skips[inside] = 0;
    }
    int svg = named(node, "svg"), skip = named(node, "p") && has_class(node, "skip");
    d->n_svg += svg;
    d->n_skip += skip;
    d->n_script += named(node, "script");
    if (inside >= 0) {
      d->figure_svgs[inside] += svg;
      d->figure_skips[inside] += skip;
    }
    xmlFree(id);
    xmlFree(href);
    walk(node->children, d, inside);
  }
}

int xml_doc_read(const char *text, xml_doc *d)
{
  memset(d, 0, sizeof *d);
  xmlDocPtr doc = read_doc(text);
  if (!doc) {
    snprintf(d->error, sizeof d->error, "%s", last_error);
    return 0;
  }
  walk(xmlDocGetRootElement(doc), d, -1);
  xmlFreeDoc(doc);
  return 1;
}

void xml_doc_free(xml_doc *d)
{
  for (size_t i = 0; i < d->n_ids; i++)
    free(d->ids[i]);
  for (size_t i = 0; i < d->n_hrefs; i++)
    free(d->hrefs[i]);
  for (size_t i = 0; i < d->n_figures; i++)
    free(d->figures[i]);
  free(d->ids);
  free(d->hrefs);
  free(d->figures);
  free(d->figure_svgs);
  free(d->figure_skips);
}

int xml_doc_has_id(const xml_doc *d, const char *id)
{
  for (size_t i = 0; i < d->n_ids; i++)
    if (strcmp(d->ids[i], id) == 0)
      return 1;
  return 0;
}

long xml_doc_figure(const xml_doc *d, const char *id)
{
  for (size_t i = 0; i < d->n_figures; i++)
    if (strcmp(d->figures[i], id) == 0)
      return (long)i;
  return -1;
}
