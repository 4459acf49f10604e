/* Key names and US-keyboard characters as Linux key codes (see
 * virt_keys.h). Tables, no logic worth the name. */
#include "virt/virt_keys.h"

#include <linux/input-event-codes.h>
#include <string.h>

typedef struct {
    const char *name;
    guint code;
} KeyName;

static const KeyName names[] = {
    {"ctrl", KEY_LEFTCTRL},
    {"control", KEY_LEFTCTRL},
    {"rightctrl", KEY_RIGHTCTRL},
    {"alt", KEY_LEFTALT},
    {"altgr", KEY_RIGHTALT},
    {"shift", KEY_LEFTSHIFT},
    {"rightshift", KEY_RIGHTSHIFT},
    {"meta", KEY_LEFTMETA},
    {"super", KEY_LEFTMETA},
    {"win", KEY_LEFTMETA},
    {"delete", KEY_DELETE},
    {"del", KEY_DELETE},
    {"backspace", KEY_BACKSPACE},
    {"tab", KEY_TAB},
    {"enter", KEY_ENTER},
    {"return", KEY_ENTER},
    {"esc", KEY_ESC},
    {"escape", KEY_ESC},
    {"space", KEY_SPACE},
    {"insert", KEY_INSERT},
    {"home", KEY_HOME},
    {"end", KEY_END},
    {"pageup", KEY_PAGEUP},
    {"pagedown", KEY_PAGEDOWN},
    {"up", KEY_UP},
    {"down", KEY_DOWN},
    {"left", KEY_LEFT},
    {"right", KEY_RIGHT},
    {"printscreen", KEY_SYSRQ},
    {"sysrq", KEY_SYSRQ},
    {"pause", KEY_PAUSE},
    {"capslock", KEY_CAPSLOCK},
    {"numlock", KEY_NUMLOCK},
    {"scrolllock", KEY_SCROLLLOCK},
    {"menu", KEY_COMPOSE},
    {"f1", KEY_F1},
    {"f2", KEY_F2},
    {"f3", KEY_F3},
    {"f4", KEY_F4},
    {"f5", KEY_F5},
    {"f6", KEY_F6},
    {"f7", KEY_F7},
    {"f8", KEY_F8},
    {"f9", KEY_F9},
    {"f10", KEY_F10},
    {"f11", KEY_F11},
    {"f12", KEY_F12},
};

/* Row by row as on the keyboard: the plain character, then with shift. */
typedef struct {
    char plain, shifted;
    guint code;
} KeyChar;

static const KeyChar chars[] = {
    {'`', '~', KEY_GRAVE},       {'1', '!', KEY_1},          {'2', '@', KEY_2},
    {'3', '#', KEY_3},           {'4', '$', KEY_4},          {'5', '%', KEY_5},
    {'6', '^', KEY_6},           {'7', '&', KEY_7},          {'8', '*', KEY_8},
    {'9', '(', KEY_9},           {'0', ')', KEY_0},          {'-', '_', KEY_MINUS},
    {'=', '+', KEY_EQUAL},       {'q', 'Q', KEY_Q},          {'w', 'W', KEY_W},
    {'e', 'E', KEY_E},           {'r', 'R', KEY_R},          {'t', 'T', KEY_T},
    {'y', 'Y', KEY_Y},           {'u', 'U', KEY_U},          {'i', 'I', KEY_I},
    {'o', 'O', KEY_O},           {'p', 'P', KEY_P},          {'[', '{', KEY_LEFTBRACE},
    {']', '}', KEY_RIGHTBRACE},  {'\\', '|', KEY_BACKSLASH}, {'a', 'A', KEY_A},
    {'s', 'S', KEY_S},           {'d', 'D', KEY_D},          {'f', 'F', KEY_F},
    {'g', 'G', KEY_G},           {'h', 'H', KEY_H},          {'j', 'J', KEY_J},
    {'k', 'K', KEY_K},           {'l', 'L', KEY_L},          {';', ':', KEY_SEMICOLON},
    {'\'', '"', KEY_APOSTROPHE}, {'z', 'Z', KEY_Z},          {'x', 'X', KEY_X},
    {'c', 'C', KEY_C},           {'v', 'V', KEY_V},          {'b', 'B', KEY_B},
    {'n', 'N', KEY_N},           {'m', 'M', KEY_M},          {',', '<', KEY_COMMA},
    {'.', '>', KEY_DOT},         {'/', '?', KEY_SLASH},      {' ', 0, KEY_SPACE},
    {'\n', 0, KEY_ENTER},        {'\t', 0, KEY_TAB},
};

guint virt_key_code(const char *name)
{
    for (gsize i = 0; name && i < G_N_ELEMENTS(names); i++)
        if (g_ascii_strcasecmp(names[i].name, name) == 0)
            return names[i].code;
    /* A single letter or digit names its own key. */
    guint codes[2];
    if (name && name[0] && !name[1] && g_ascii_isalnum(name[0]) &&
        virt_key_for_char((gunichar)g_ascii_tolower(name[0]), codes) == 1)
        return codes[0];
    return 0;
}

guint virt_key_for_char(gunichar c, guint codes[2])
{
    for (gsize i = 0; i < G_N_ELEMENTS(chars); i++) {
        if ((gunichar)(guchar)chars[i].plain == c) {
            codes[0] = chars[i].code;
            return 1;
        }
        if (chars[i].shifted && (gunichar)(guchar)chars[i].shifted == c) {
            codes[0] = KEY_LEFTSHIFT;
            codes[1] = chars[i].code;
            return 2;
        }
    }
    return 0;
}
