/* The cloud-init seed's parts: the "cloud_init" member's checks, YAML
 * quoting (no value can add keys), the seed's text, SHA-512 crypt hashes,
 * the spec's seed volume, and the cidata ISO (when genisoimage is here). */
#include "unit.h"

#include "api/core/api_error.h"
#include "api/vms/api_cidata.h"
#include "api/vms/api_cidata_iso.h"
#include "api/vms/api_cloud_init.h"
#include "api/vms/api_guest_password.h"
#include "api/vms/api_vm_spec.h"
#include "virt/virt_domain.h"
#include "virt/virt_domain_build.h"
#include "virt/virt_domain_xml.h"
#include "virt/virt_domain_xml_edit.h"

#include <crypt.h>
#include <string.h>

/* A well-formed ed25519 line: the blob names its type. */
static char *ed25519_line(const char *comment)
{
    guchar blob[4 + 11 + 4 + 32] = {0,   0,   0,   11,  's', 's', 'h', '-', 'e', 'd',
                                    '2', '5', '5', '1', '9', 0,   0,   0,   32};
    for (gsize i = 19; i < sizeof blob; i++)
        blob[i] = (guchar)(i * 7);
    g_autofree char *b64 = g_base64_encode(blob, sizeof blob);
    return g_strdup_printf("ssh-ed25519 %s%s%s", b64, comment ? " " : "", comment ? comment : "");
}

static ApiCloudInit *parse(const char *json, const char *vm, GError **error)
{
    g_autoptr(json_t) obj = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    assert_non_null(obj);
    return api_cloud_init_parse(obj, vm, error);
}

static void assert_invalid(const char *json, const char *vm, const char *field)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ApiCloudInit) ci = parse(json, vm, &error);
    assert_null(ci);
    assert_non_null(error);
    assert_int_equal(api_error_status(error), 400);
    if (!strstr(error->message, field))
        fail_msg("'%s' does not name %s", error->message, field);
    /* No message quotes the secrets the cases carry. */
    assert_null(strstr(error->message, "SECRET"));
}

static void test_names(void **state)
{
    (void)state;
    assert_true(api_cloud_init_hostname_valid("web-1"));
    assert_true(api_cloud_init_hostname_valid("web-1.example.org"));
    assert_false(api_cloud_init_hostname_valid(""));
    assert_false(api_cloud_init_hostname_valid("-web"));
    assert_false(api_cloud_init_hostname_valid("web-"));
    assert_false(api_cloud_init_hostname_valid("a..b"));
    assert_false(api_cloud_init_hostname_valid("a_b"));
    assert_false(api_cloud_init_hostname_valid("a\"b"));
    g_autofree char *label64 = g_strnfill(64, 'a');
    assert_false(api_cloud_init_hostname_valid(label64));
    assert_true(api_cloud_init_user_valid("vireo"));
    assert_true(api_cloud_init_user_valid("_svc-1"));
    assert_false(api_cloud_init_user_valid("root"));
    assert_false(api_cloud_init_user_valid("Admin"));
    assert_false(api_cloud_init_user_valid("1user"));
    assert_false(api_cloud_init_user_valid("a b"));
    g_autofree char *long_user = g_strnfill(33, 'a');
    assert_false(api_cloud_init_user_valid(long_user));
}

static void test_keys_and_hashes(void **state)
{
    (void)state;
    g_autofree char *good = ed25519_line("me@host");
    g_autofree char *bare = ed25519_line(NULL);
    assert_true(api_cloud_init_key_valid(good));
    assert_true(api_cloud_init_key_valid(bare));
    /* The blob names ssh-ed25519, the line another type. */
    g_autofree char *liar = g_strdup_printf("ssh-rsa %s", good + strlen("ssh-ed25519 "));
    assert_false(api_cloud_init_key_valid(liar));
    g_autofree char *newline = g_strconcat(good, "\nssh_pwauth: true", NULL);
    assert_false(api_cloud_init_key_valid(newline));
    assert_false(api_cloud_init_key_valid("ssh-ed25519"));
    assert_false(api_cloud_init_key_valid("ssh-ed25519 AAAA"));
    assert_false(api_cloud_init_key_valid("from=\"x\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA"));
    assert_false(api_cloud_init_key_valid("ssh-ed25519 !!!!AAAAAAAAAAAAAAAA"));
    g_autoptr(GError) error = NULL;
    g_autofree char *hash = api_guest_password_hash("hunter2", &error);
    assert_non_null(hash);
    assert_true(api_cloud_init_hash_valid(hash));
    assert_false(api_cloud_init_hash_valid("$1$salt$abcdefghijklmnopqrstuv"));
    assert_false(api_cloud_init_hash_valid("plain"));
    assert_false(api_cloud_init_hash_valid("$6$a b$c"));
}

static void test_password_hash_format(void **state)
{
    (void)state;
    g_autoptr(GError) error = NULL;
    g_autofree char *a = api_guest_password_hash("pass word", &error);
    g_autofree char *b = api_guest_password_hash("pass word", &error);
    assert_non_null(a);
    assert_non_null(b);
    /* $6$, 16 salt characters, $, 86 hash characters. */
    g_auto(GStrv) parts = g_strsplit(a, "$", -1);
    assert_int_equal(g_strv_length(parts), 4);
    assert_string_equal(parts[1], "6");
    assert_int_equal(strlen(parts[2]), 16);
    assert_int_equal(strlen(parts[3]), 86);
    assert_string_not_equal(a, b); /* a fresh salt each time */
    struct crypt_data data = {0};
    assert_string_equal(crypt_r("pass word", a, &data), a);
    assert_string_not_equal(crypt_r("pass-word", a, &data), a);
}

static void test_yaml_quote(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"web", "\"web\""},
        {"a\"b", "\"a\\\"b\""},
        {"a\\b", "\"a\\\\b\""},
        {"x\nkey: v", "\"x\\x0Akey: v\""},
        {"tab\there", "\"tab\\x09here\""},
        {"del\x7f", "\"del\\x7F\""},
        {"line\xe2\x80\xa8sep", "\"line\\u2028sep\""},
        {"nel\xc2\x85", "\"nel\\u0085\""},
        {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
        {"bad\xff", "\"bad\\xFF\""},
        {"#: - [ ] { } & * ! | > ' %", "\"#: - [ ] { } & * ! | > ' %\""},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *q = api_cidata_yaml_quote(cases[i].in);
        assert_string_equal(q, cases[i].out);
    }
}

static void test_seed_text(void **state)
{
    (void)state;
    g_autofree char *meta = api_cidata_meta_data("0b6c-uuid", "web-1");
    assert_string_equal(meta, "instance-id: \"0b6c-uuid\"\nlocal-hostname: \"web-1\"\n");
    g_autofree char *key = ed25519_line("me \"x\"");
    g_autoptr(json_t) obj = json_pack("{s:s,s:s,s:[s]}", "user", "vireo", "password", "SECRET",
                                      "ssh_authorized_keys", key);
    g_autoptr(GError) error = NULL;
    g_autoptr(ApiCloudInit) ci = api_cloud_init_parse(obj, "web-1", &error);
    assert_non_null(ci);
    assert_string_equal(ci->hostname, "web-1");
    g_autofree char *user = api_cidata_user_data(ci, "$6$salt$hash");
    g_autofree char *qkey = api_cidata_yaml_quote(key);
    g_autofree char *want = g_strdup_printf("#cloud-config\n"
                                            "users:\n"
                                            "  - name: \"vireo\"\n"
                                            "    sudo: \"ALL=(ALL) NOPASSWD:ALL\"\n"
                                            "    shell: \"/bin/bash\"\n"
                                            "    lock_passwd: false\n"
                                            "    hashed_passwd: \"$6$salt$hash\"\n"
                                            "    ssh_authorized_keys:\n"
                                            "      - %s\n"
                                            "ssh_pwauth: true\n"
                                            "chpasswd:\n"
                                            "  expire: false\n",
                                            qkey);
    assert_string_equal(user, want);
    assert_null(strstr(user, "SECRET"));
    /* Keys alone: the password stays locked, no SSH password logins. */
    g_autoptr(json_t)
        keys_only = json_pack("{s:s,s:[s]}", "user", "vireo", "ssh_authorized_keys", key);
    g_autoptr(ApiCloudInit) k = api_cloud_init_parse(keys_only, "web-1", &error);
    assert_non_null(k);
    g_autofree char *ku = api_cidata_user_data(k, NULL);
    assert_non_null(strstr(ku, "lock_passwd: true\n"));
    assert_non_null(strstr(ku, "ssh_pwauth: false\n"));
    assert_null(strstr(ku, "hashed_passwd"));
    /* The caller's own user-data goes in as it is. */
    g_autoptr(json_t)
        own = json_pack("{s:s,s:s}", "user_data", "#!/bin/sh\necho hi\n", "hostname", "h");
    g_autoptr(ApiCloudInit) o = api_cloud_init_parse(own, "web-1", &error);
    assert_non_null(o);
    g_autofree char *ou = api_cidata_user_data(o, NULL);
    assert_string_equal(ou, "#!/bin/sh\necho hi\n");
    /* Forgetting wipes the secrets in the JSON itself. */
    json_t *pw = json_object_get(obj, "password");
    api_cloud_init_forget(ci);
    assert_null(ci->password);
    assert_int_equal(json_string_value(pw)[0], '\0');
}

static void test_parse_errors(void **state)
{
    (void)state;
    assert_invalid("\"x\"", "vm", "cloud_init");
    assert_invalid("{\"user\": \"vireo\", \"password\": \"SECRET\", \"bogus\": 1}", "vm", "bogus");
    assert_invalid("{\"user\": \"vireo\", \"password\": \"SECRET\"}", "a_b", "cloud_init.hostname");
    assert_invalid("{\"user\": \"vireo\", \"password\": \"SECRET\", \"hostname\": \"a b\"}", "vm",
                   "cloud_init.hostname");
    assert_invalid("{\"user\": \"root\", \"password\": \"SECRET\"}", "vm", "cloud_init.user");
    assert_invalid("{\"user\": \"vireo\"}", "vm", "cloud_init.user");
    assert_invalid("{\"password\": \"SECRET\"}", "vm", "cloud_init.user");
    assert_invalid("{\"user\": \"vireo\", \"password\": \"\"}", "vm", "cloud_init.password");
    assert_invalid("{\"user\": \"vireo\", \"password\": \"SECRET\", \"password_hash\": "
                   "\"$6$SECRET$x\"}",
                   "vm", "cloud_init.password");
    assert_invalid("{\"user\": \"vireo\", \"password_hash\": \"$1$SECRET$abcdefgh\"}", "vm",
                   "cloud_init.password_hash");
    assert_invalid("{\"user\": \"vireo\", \"ssh_authorized_keys\": [\"SECRET\"]}", "vm",
                   "ssh_authorized_keys[0]");
    assert_invalid("{\"user\": \"vireo\", \"ssh_authorized_keys\": [\"ssh-ed25519 "
                   "AAAAC3NzaC1lZDI1NTE5\\u0000x\"]}",
                   "vm", "ssh_authorized_keys[0]");
    assert_invalid("{\"user\": \"vireo\", \"ssh_authorized_keys\": \"ssh-ed25519 x\"}", "vm",
                   "ssh_authorized_keys");
    assert_invalid("{\"user_data\": \"SECRET\"}", "vm", "cloud_init.user_data");
    assert_invalid("{\"user_data\": \"#cloud-configSECRET\"}", "vm", "cloud_init.user_data");
    assert_invalid("{\"user_data\": \"#cloud-config\\n\", \"password\": \"SECRET\"}", "vm",
                   "cloud_init.user_data");
    assert_invalid("{\"user\": \"vireo\", \"password\": \"SECRET\", \"network_config\": "
                   "\"eth0: SECRET\"}",
                   "vm", "cloud_init.network_config");
    g_autofree char *many = g_strdup("{\"user\": \"vireo\", \"ssh_authorized_keys\": [");
    for (int i = 0; i <= API_CLOUD_INIT_MAX_KEYS; i++) {
        g_autofree char *next = g_strconcat(many, i ? ",\"k\"" : "\"k\"", NULL);
        g_free(many);
        many = g_steal_pointer(&next);
    }
    g_autofree char *many_json = g_strconcat(many, "]}", NULL);
    assert_invalid(many_json, "vm", "ssh_authorized_keys");
}

static void test_spec_seed_volume(void **state)
{
    (void)state;
    g_autofree char *key = ed25519_line(NULL);
    g_autoptr(json_t) obj = json_pack("{s:s,s:i,s:i,s:[{s:s,s:I}],s:{s:s,s:[s]}}", "name", "web",
                                      "vcpus", 1, "memory", 64, "disks", "backing",
                                      "images/cloud.qcow2", "size", (json_int_t)1 << 30,
                                      "cloud_init", "user", "vireo", "ssh_authorized_keys", key);
    g_autoptr(GError) error = NULL;
    g_autoptr(ApiVmSpec) spec = api_vm_spec_parse(obj, API_VM_SPEC_CREATE, &error);
    assert_non_null(spec);
    assert_int_equal(spec->volumes->len, 2);
    const VirtVmVolume *seed = &g_array_index(spec->volumes, VirtVmVolume, 1);
    assert_int_equal(seed->kind, VIRT_VM_VOL_DATA);
    assert_string_equal(seed->device, "cdrom");
    assert_string_equal(seed->pool, "images");
    assert_string_equal(seed->name, "web-cidata.iso");
    assert_string_equal(seed->bus, "scsi");
    assert_true(g_str_has_prefix(seed->alias, VIRT_DISK_ALIAS_OWNED));
    /* The seed is no boot medium. */
    VirtHostInfo host = {
        .cpus = 2, .memory_total_kib = 1 << 20, .default_domain_type = "qemu", .arch = "x86_64"};
    VirtVmPlan plan;
    api_vm_spec_plan(spec, &host, NULL, &plan);
    assert_string_equal(plan.domain.boot[0], "hd");
    assert_null(plan.domain.boot[1]);
    /* No disk, no seed; a template holds none. */
    json_object_del(obj, "disks");
    g_autoptr(ApiVmSpec) none = api_vm_spec_parse(obj, API_VM_SPEC_CREATE, &error);
    assert_null(none);
    g_clear_error(&error);
    json_object_del(obj, "name");
    g_autoptr(ApiVmSpec) tpl = api_vm_spec_parse(obj, API_VM_SPEC_TEMPLATE, &error);
    assert_null(tpl);
    assert_non_null(strstr(error->message, "cloud_init"));
}

/* The seed's drive: on virtio-scsi (cloud kernels lack AHCI and LSI), with
 * the alias that makes it go with the VM; a bad alias is refused. */
static void test_seed_drive_xml(void **state)
{
    (void)state;
    static const char *const boot[] = {"hd", NULL};
    VirtDiskSpec disks[] = {
        {.device = "disk", .path = "/img/web.qcow2", .format = "qcow2", .target = "vda"},
        {.device = "cdrom",
         .path = "/img/web-cidata.iso",
         .target = "sda",
         .bus = "scsi",
         .alias = VIRT_DISK_ALIAS_OWNED "cidata"},
    };
    VirtDomainBuild b = {.name = "web",
                         .domain_type = "qemu",
                         .arch = "x86_64",
                         .vcpus = 1,
                         .memory_mib = 64,
                         .boot = boot,
                         .disks = disks,
                         .n_disks = 2};
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = virt_domain_build_xml(&b, &error);
    assert_non_null(xml);
    assert_non_null(strstr(xml, "<controller type=\"scsi\" model=\"virtio-scsi\"/>"));
    assert_non_null(strstr(xml, "<alias name=\"ua-vireo-owned-cidata\"/>"));
    g_autoptr(VirtDomainConfig) cfg = virt_domain_config_parse(xml, strlen(xml), &error);
    assert_non_null(cfg);
    const VirtDisk *cd = g_ptr_array_index(cfg->disks, 1);
    assert_string_equal(cd->alias, "ua-vireo-owned-cidata");
    /* No installer ejection takes the seed out. */
    g_auto(GStrv) emptied = NULL;
    gboolean moved = FALSE;
    g_autofree char *after = virt_domain_xml_eject_installer(xml, &emptied, &moved, &error);
    assert_non_null(after);
    assert_null(emptied[0]);
    assert_non_null(strstr(after, "web-cidata.iso"));
    disks[1].alias = "vireo\"x";
    g_autofree char *bad = virt_domain_build_xml(&b, &error);
    assert_null(bad);
}

static void test_iso(void **state)
{
    (void)state;
    g_autofree char *prog = g_find_program_in_path("genisoimage");
    if (!prog)
        skip();
    ApiCidataFile files[] = {{"meta-data", "instance-id: \"x\"\nlocal-hostname: \"web\"\n"},
                             {"user-data", "#cloud-config\n"}};
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) iso = api_cidata_iso(files, G_N_ELEMENTS(files), &error);
    assert_non_null(iso);
    gsize len = 0;
    const char *bytes = g_bytes_get_data(iso, &len);
    assert_true(len >= 0x8028 + 32 && len % 2048 == 0);
    /* The primary volume descriptor: "CD001" and the volume id. */
    assert_memory_equal(bytes + 0x8001, "CD001", 5);
    assert_memory_equal(bytes + 0x8028, API_CIDATA_LABEL, 6);
    assert_non_null(memmem(bytes, len, "local-hostname: \"web\"", 21));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_keys_and_hashes),
        cmocka_unit_test(test_password_hash_format),
        cmocka_unit_test(test_yaml_quote),
        cmocka_unit_test(test_seed_text),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_spec_seed_volume),
        cmocka_unit_test(test_seed_drive_xml),
        cmocka_unit_test(test_iso),
    };
    return cmocka_run_group_tests_name("cloud_init", tests, NULL, NULL);
}
