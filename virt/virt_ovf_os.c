/* The guest OS an OVF descriptor names, in libosinfo's terms: what decides
 * virtio or emulated disks and NICs for the imported VM. A few common
 * systems map to short ids; the rest to a family (Linux has had virtio
 * drivers since 2.6.25; for Windows and the unknown, emulated devices are
 * the safe choice). */
#include "virt/virt_ovf.h"

#include <string.h>

typedef struct {
    const char *word; /* the descriptor's word, compared without case */
    const char *id;   /* libosinfo short id */
} OsWord;

/* VMware's guest ids of Windows (vmw:osType). */
static const OsWord vmw_windows[] = {
    {"windows11_64Guest", "win11"},
    {"windows9_64Guest", "win10"},
    {"windows9Guest", "win10"},
    {"windows8_64Guest", "win8"},
    {"windows7_64Guest", "win7"},
    {"windows7Guest", "win7"},
    {"windows2022srvNext_64Guest", "win2k22"},
    {"windows2019srvNext_64Guest", "win2k22"},
    {"windows2019srv_64Guest", "win2k19"},
    {"windows9Server64Guest", "win2k16"},
    {"windows8Server64Guest", "win2k12"},
    {"windows7Server64Guest", "win2k8r2"},
    {"winXPProGuest", "winxp"},
    {NULL, NULL},
};

/* VirtualBox's OS types of Windows (vbox:OSType, "_64" taken off). */
static const OsWord vbox_windows[] = {
    {"Windows11", "win11"},     {"Windows10", "win10"},     {"Windows81", "win8.1"},
    {"Windows8", "win8"},       {"Windows7", "win7"},       {"WindowsXP", "winxp"},
    {"Windows2022", "win2k22"}, {"Windows2019", "win2k19"}, {"Windows2016", "win2k16"},
    {"Windows2012", "win2k12"}, {"Windows2008", "win2k8"},  {NULL, NULL},
};

/* Words that begin the names of Linux distributions in both tools. */
static const char *const linux_words[] = {
    "linux",    "other26xlinux", "other3xlinux", "other4xlinux", "other5xlinux", "otherlinux",
    "debian",   "ubuntu",        "rhel",         "redhat",       "centos",       "fedora",
    "sles",     "suse",          "opensuse",     "oracle",       "archlinux",    "gentoo",
    "mandriva", "mandrake",      "turbolinux",   "xandros",      "asianux",      "coreos",
    "photon",   "amazonlinux",   "almalinux",    "rockylinux",   NULL,
};

static const char *const bsd_words[] = {"freebsd", "openbsd", "netbsd", NULL};

static const char *lookup(const OsWord *table, const char *word)
{
    for (const OsWord *w = table; w->word; w++)
        if (g_ascii_strcasecmp(w->word, word) == 0)
            return w->id;
    return NULL;
}

static gboolean begins_with_any(const char *word, const char *const *prefixes)
{
    g_autofree char *lower = g_ascii_strdown(word, -1);
    for (const char *const *p = prefixes; *p; p++)
        if (g_str_has_prefix(lower, *p))
            return TRUE;
    return FALSE;
}

/* "debian11..." -> "debian11" (Debian's versions are plain numbers). */
static const char *debian_id(const char *word)
{
    static const char *const ids[] = {"debian8",  "debian9",  "debian10",
                                      "debian11", "debian12", NULL};
    g_autofree char *lower = g_ascii_strdown(word, -1);
    gsize n = strlen("debian");
    while (g_ascii_isdigit(lower[n]))
        n++;
    lower[n] = '\0';
    for (const char *const *id = ids; *id; id++)
        if (strcmp(*id, lower) == 0)
            return *id;
    return NULL;
}

/* VMware "rhel8_64Guest" -> "rhel8.0", "centos7_64Guest" -> "centos7.0". */
static const char *versioned_id(const char *word)
{
    static const OsWord ids[] = {{"rhel7", "rhel7.0"},
                                 {"rhel8", "rhel8.0"},
                                 {"rhel9", "rhel9.0"},
                                 {"centos7", "centos7.0"},
                                 {NULL, NULL}};
    for (const OsWord *w = ids; w->word; w++)
        if (g_ascii_strncasecmp(word, w->word, strlen(w->word)) == 0 &&
            !g_ascii_isdigit(word[strlen(w->word)]))
            return w->id;
    return NULL;
}

/* One word of either tool: family and id, or FALSE when it says nothing. */
static gboolean from_word(const char *word, gboolean vmware, const char **family,
                          const char **os_id)
{
    g_autofree char *plain = g_strdup(word);
    if (!vmware && g_str_has_suffix(plain, "_64"))
        plain[strlen(plain) - 3] = '\0';
    const char *windows = lookup(vmware ? vmw_windows : vbox_windows, plain);
    if (windows || g_ascii_strncasecmp(plain, "win", 3) == 0) {
        *family = "windows";
        *os_id = windows;
        return TRUE;
    }
    if (begins_with_any(plain, linux_words)) {
        *family = "linux";
        *os_id = g_ascii_strncasecmp(plain, "debian", 6) == 0 ? debian_id(plain)
                                                              : versioned_id(plain);
        return TRUE;
    }
    if (begins_with_any(plain, bsd_words)) {
        *family = "bsd";
        return TRUE;
    }
    return FALSE;
}

/* CIM_OperatingSystem.OSType numbers (DSP0215), as ovf:id writes them. */
static const char *cim_family(guint64 n)
{
    static const guint8 linux_ids[] = {36, 79, 80, 82, 83, 84, 85,  87,  89,  90,  91,  92,  93,
                                       94, 95, 96, 97, 98, 99, 100, 101, 106, 107, 108, 109, 0};
    static const guint8 windows_ids[] = {15, 16, 17, 18, 19,  58,  63,  67,  69,  70,  71,  72, 73,
                                         74, 75, 76, 77, 103, 105, 111, 113, 114, 115, 116, 0};
    static const guint8 bsd_ids[] = {41, 42, 43, 65, 78, 0};
    for (const guint8 *i = linux_ids; *i; i++)
        if (*i == n)
            return "linux";
    for (const guint8 *i = windows_ids; *i; i++)
        if (*i == n)
            return "windows";
    for (const guint8 *i = bsd_ids; *i; i++)
        if (*i == n)
            return "bsd";
    return NULL;
}

void virt_ovf_guess_os(const char *vmw_type, const char *vbox_type, const char *cim_id,
                       const char **family, const char **os_id)
{
    *family = "other";
    *os_id = NULL;
    if (vmw_type && from_word(vmw_type, TRUE, family, os_id))
        return;
    if (vbox_type && from_word(vbox_type, FALSE, family, os_id))
        return;
    guint64 n;
    if (cim_id && g_ascii_string_to_unsigned(cim_id, 10, 0, 255, &n, NULL) && cim_family(n))
        *family = cim_family(n);
}

char *virt_ovf_vmw_os_type(const char *os_id, guint *cim)
{
    /* DSP0215's numbers: Debian, Ubuntu, RHEL and CentOS 64-bit; Linux
     * 2.6.x 64-bit for other distributions; Windows 7 for any Windows
     * (later ones have none of their own); 1 is "Other". */
    static const struct {
        const char *prefix;
        guint cim;
    } versioned[] = {{"debian", 96}, {"rhel", 80}, {"centos", 107}, {NULL, 0}};
    *cim = 1;
    if (!os_id)
        return g_strdup("otherGuest64");
    for (const OsWord *w = vmw_windows; w->word; w++)
        if (strcmp(w->id, os_id) == 0) {
            *cim = 105;
            return g_strdup(w->word);
        }
    /* "debian11" -> debian11_64Guest, "rhel8.0" -> rhel8_64Guest: the
     * words the reader maps back. */
    for (gsize i = 0; versioned[i].prefix; i++) {
        gsize n = strlen(versioned[i].prefix);
        if (g_str_has_prefix(os_id, versioned[i].prefix) && g_ascii_isdigit(os_id[n])) {
            *cim = versioned[i].cim;
            gsize digits = n;
            while (g_ascii_isdigit(os_id[digits]))
                digits++;
            g_autofree char *word = g_strndup(os_id, digits);
            return g_strconcat(word, "_64Guest", NULL);
        }
    }
    if (g_str_has_prefix(os_id, "ubuntu")) {
        *cim = 94;
        return g_strdup("ubuntu64Guest");
    }
    if (begins_with_any(os_id, linux_words)) {
        *cim = 101;
        return g_strdup("other4xLinux64Guest");
    }
    if (g_str_has_prefix(os_id, "win"))
        *cim = 105;
    return g_strdup("otherGuest64");
}
