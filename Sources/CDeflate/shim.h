// libdeflate from Debian's libdeflate-dev: whole-buffer gzip for response bodies (see Sources/CatalogCore/Gzip.swift).
#ifndef CATALOG_DEFLATE_H
#define CATALOG_DEFLATE_H

#include <libdeflate.h>

#endif
