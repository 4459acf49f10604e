/* The guest's keyboard: key names ("ctrl", "alt", "delete", "f2", "a") and
 * the characters of text typed on a US keyboard, as Linux key codes for
 * virDomainSendKey. */
#pragma once
#include <glib.h>

/* Most keys pressed together. */
#define VIRT_KEYS_MAX 16

/* The Linux key code of a key name (case-insensitive), or 0. */
guint virt_key_code(const char *name);
/* The keys that type character `c` on a US keyboard: its key, and shift
 * first when it needs it. Answers how many (1 or 2), 0 for a character
 * that cannot be typed. */
guint virt_key_for_char(gunichar c, guint codes[2]);
