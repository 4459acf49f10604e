/* cmocka fixtures for tests of the engine on libvirt's test driver: a
 * private test:///default instance per test, in *state. */
#pragma once
#include "unit.h"
#include "virt/virt_conn.h"

static inline int unit_libvirt_setup(void **state)
{
    virt_init();
    virConnectPtr conn = virConnectOpen("test:///default");
    assert_non_null(conn);
    *state = conn;
    return 0;
}

static inline int unit_libvirt_teardown(void **state)
{
    virConnectClose(*state);
    return 0;
}
