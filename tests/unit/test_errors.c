/* Error mapping: libvirt codes -> engine errors -> HTTP status + code. */
#include "unit.h"

#include "api/core/api_error.h"
#include "db/db.h"
#include "virt/virt_conn.h"
#include "virt/virt_error.h"

#include <libvirt/virterror.h>

static void expect(GQuark domain, int code, unsigned status, const char *name)
{
    g_autoptr(GError) e = g_error_new_literal(domain, code, "x");
    assert_int_equal(api_error_status(e), status);
    assert_string_equal(api_error_code(e), name);
}

static void test_engine_to_http(void **state)
{
    (void)state;
    expect(VIRT_ERROR, VIRT_ERROR_NOT_FOUND, 404, "not_found");
    expect(VIRT_ERROR, VIRT_ERROR_INVALID_STATE, 409, "conflict");
    expect(VIRT_ERROR, VIRT_ERROR_EXISTS, 409, "conflict");
    expect(VIRT_ERROR, VIRT_ERROR_INVALID_ARG, 400, "invalid_argument");
    expect(VIRT_ERROR, VIRT_ERROR_UNAVAILABLE, 503, "unavailable");
    expect(VIRT_ERROR, VIRT_ERROR_DENIED, 403, "forbidden");
    expect(VIRT_ERROR, VIRT_ERROR_FAILED, 500, "internal");
    expect(DB_ERROR, DB_ERROR_BUSY, 503, "unavailable");
    expect(DB_ERROR, DB_ERROR_FAILED, 500, "internal");
    expect(API_ERROR, API_ERROR_PRECONDITION_FAILED, 412, "precondition_failed");
    expect(API_ERROR, API_ERROR_PAYLOAD_TOO_LARGE, 413, "payload_too_large");
    expect(G_FILE_ERROR, G_FILE_ERROR_NOENT, 500, "internal");
}

/* Real libvirt errors, raised by the test driver. */
static void test_libvirt_codes(void **state)
{
    (void)state;
    virt_init();
    g_autoptr(virConnect) conn = virConnectOpen("test:///default");
    assert_non_null(conn);
    g_autoptr(GError) e = NULL;
    assert_null(virDomainLookupByName(conn, "no-such-vm"));
    virt_error_from_libvirt(&e, "lookup");
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_NOT_FOUND));
    g_clear_error(&e);

    /* Undefining what is gone: not found, with our prefix. */
    g_autoptr(virDomain) dom = virDomainLookupByName(conn, "test");
    assert_non_null(dom);
    assert_true(virDomainSetAutostart(dom, 1) == 0);
    g_autoptr(virDomain)
        bogus = virDomainLookupByUUIDString(conn, "00000000-0000-0000-0000-000000000001");
    assert_null(bogus);
    virt_error_from_libvirt(&e, "lookup");
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_NOT_FOUND));
    assert_non_null(strstr(e->message, "lookup: "));
    g_clear_error(&e);

    assert_null(virDomainDefineXML(conn, "<domain><oops"));
    virt_error_from_libvirt(&e, "define");
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_to_http),
        cmocka_unit_test(test_libvirt_codes),
    };
    return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}
