/* gv_xml.h: text escaped for XML and HTML alike (the report writers). */
#ifndef GV_XML_H
#define GV_XML_H

#include <stdio.h>

/* Writes s with the five characters XML reserves replaced by entities, so that
 * it is safe as text and inside a quoted attribute, in XML and in HTML. */
void gv_xml_puts(FILE *f, const char *s);

#endif
