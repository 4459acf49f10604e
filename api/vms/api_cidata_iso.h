/* The NoCloud seed medium: an ISO 9660 image labelled "cidata" holding
 * the seed's files, written by genisoimage (Debian package genisoimage). */
#pragma once
#include <glib.h>

/* One file of the image: its name at the root and its text. */
typedef struct {
    const char *name;
    const char *text;
} ApiCidataFile;

#define API_CIDATA_LABEL "cidata"

/* The image's bytes. The files pass through a private temporary folder
 * (mode 0700) that is removed before this returns. INTERNAL errors name
 * what failed; no file's text ever reaches a message. */
GBytes *api_cidata_iso(const ApiCidataFile *files, guint n_files, GError **error);
