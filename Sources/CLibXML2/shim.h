#include <libxml/xmlversion.h>
// Debian builds libxml2 with ICU; its headers would then pull in the system's ICU, which clashes with the
// copy Foundation carries. MovieMash never uses libxml2's ICU conversions, so leave them out of view.
#undef LIBXML_ICU_ENABLED
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

// xmlFree is a global function pointer, which Swift 6 treats as shared mutable state.
static inline void mm_xml_free(void *pointer) { xmlFree(pointer); }
