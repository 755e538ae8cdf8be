/* tediag version numbers (kept in step with meson.build). */
#ifndef TEDIAG_VERSION_H
#define TEDIAG_VERSION_H

#define TE_VERSION_MAJOR 0
#define TE_VERSION_MINOR 1
#define TE_VERSION_PATCH 0
#define TE_VERSION_STRING "0.1.0"

#endif
