"""The two-host lab for the many-hosts tests (tests/hosts/lab.sh,
docs/hosts-lab.md): brings it up and down, gives the two libvirt URIs, and
defines, starts and talks to the test guest on a lab host. Standard library
and virsh only (python3-libvirt is not needed).

The serial line is reached through the guest's pty (its <source path> in
the live XML): /dev/pts is shared with the lab's namespaces, so a test can
type into the guest's shell and read its answer while libvirt's own console
stays free for vireod."""

import os
import re
import select
import subprocess
import time
import tty

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LAB_SH = os.path.join(REPO, "tests", "hosts", "lab.sh")
GUEST_SCRIPTS = os.path.join(REPO, "tests", "guest")
STATE = os.environ.get("VIREO_LAB_DIR", "/run/vireo-lab")
MARKER = "VIREO-GUEST-READY"


class LabUnavailable(Exception):
    """Namespaces cannot be made on this machine: a reason to skip."""


def _run(cmd, check=True, timeout=120, env=None):
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout, env=env)
    out = p.stdout.decode("utf-8", "replace")
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s%s" % (" ".join(cmd), p.returncode, out,
                                                    p.stderr.decode("utf-8", "replace")))
    return out


def namespaces_reason():
    """None when this process can make network and mount namespaces, else
    why not (not root, no unshare, a sandbox that forbids them)."""
    if os.geteuid() != 0:
        return "the lab needs root (network namespaces)"
    p = subprocess.run(["unshare", "-n", "-m", "true"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    if p.returncode != 0:
        return "cannot make namespaces: %s" % p.stderr.decode("utf-8", "replace").strip()
    return None


def up():
    """Makes both hosts (idempotent) and answers (URI_A, URI_B). Raises
    LabUnavailable only when namespaces cannot be made; any other failure is
    an error."""
    reason = namespaces_reason()
    if reason:
        raise LabUnavailable(reason)
    _run([os.path.join(GUEST_SCRIPTS, "build-guest.sh")], timeout=300)
    _run(["sh", LAB_SH, "up"], timeout=120)
    return uris()


def down():
    _run(["sh", LAB_SH, "down"], check=False, timeout=120)


def env():
    """The variables lab.sh wrote (VIREO_LAB_URI_A, VIREO_LAB_URI_B, ...)."""
    vals = {}
    with open(os.path.join(STATE, "env")) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            if k:
                vals[k] = v
    return vals


def uris():
    e = env()
    return e["VIREO_LAB_URI_A"], e["VIREO_LAB_URI_B"]


def host_of(uri):
    """'a' or 'b', the lab host a URI names."""
    a, b = uris()
    return {a: "a", b: "b"}[uri]


def virsh(uri, *args, check=True, timeout=120):
    return _run(["virsh", "-q", "-c", uri] + list(args), check=check, timeout=timeout)


def domain_names(uri):
    """Every domain the host knows (running or defined)."""
    return sorted(n for n in virsh(uri, "list", "--all", "--name").split() if n)


def domain_state(uri, name):
    out = virsh(uri, "domstate", name, check=False).strip()
    return out.splitlines()[0].strip() if out else None


def define_guest(name, uri=None, memory_mib=128, disk_mib=16, start=True):
    """Defines the test guest (tests/guest/define-guest.sh) on a lab host
    (host A by default) with a qcow2 disk of disk_mib in that host's
    `default` pool (none with disk_mib=0), and starts it unless start=False.
    Answers the disk's volume name or None."""
    uri = uri or uris()[0]
    e = dict(os.environ, VIREO_CONNECT=uri)
    _run([os.path.join(GUEST_SCRIPTS, "define-guest.sh"), name, str(memory_mib)], env=e)
    vol = None
    if disk_mib:
        vol = name + ".qcow2"
        virsh(uri, "vol-create-as", "default", vol, "%dM" % disk_mib, "--format", "qcow2")
        path = virsh(uri, "vol-path", "--pool", "default", vol).strip()
        virsh(uri, "attach-disk", name, path, "vda", "--subdriver", "qcow2",
              "--targetbus", "virtio", "--config")
    if start:
        virsh(uri, "start", name)
    return vol


def define_network(uri, name, bridge=None, how="net-define"):
    """A network of no use but its name, on a lab host: defined
    (how="net-define", not started) or only running (how="net-create").
    The caller removes it."""
    xml = "<network><name>%s</name>%s</network>" % (
        name, "<bridge name='%s'/>" % bridge if bridge else "")
    path = "/tmp/vireo-lab-net-%d-%s.xml" % (os.getpid(), name)
    with open(path, "w") as f:
        f.write(xml)
    try:
        virsh(uri, how, path)
    finally:
        os.unlink(path)


def serial_log(uri, name):
    """The guest's serial log as this namespace sees it (the host's
    /var/log/libvirt is its own copy under the lab's state directory)."""
    return os.path.join(STATE, host_of(uri), "log", "qemu", name + "-serial.log")


def wait_marker(uri, name, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open(serial_log(uri, name), "rb") as f:
                if MARKER.encode() in f.read():
                    return True
        except FileNotFoundError:
            pass
        time.sleep(0.2)
    return False


def serial_pty(uri, name):
    m = re.search(r"<serial type='pty'>\s*<source path='([^']+)'", virsh(uri, "dumpxml", name))
    return m.group(1) if m else None


_asked = [1000]


def serial_answers(uri, name, timeout=15):
    """True when the running guest's shell on ttyS0 answers a command typed
    into its serial line. The answer is computed by the guest ($((n+1))), so
    the echo of what was typed never counts as the answer."""
    path = serial_pty(uri, name)
    if not path:
        return False
    _asked[0] += 1
    n = _asked[0]
    want = b"VIREO-ALIVE-%d" % (n + 1)
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    try:
        tty.setraw(fd)
        os.write(fd, b"\necho VIREO-ALIVE-$((%d+1))\n" % n)
        buf = b""
        deadline = time.time() + timeout
        while time.time() < deadline:
            r, _, _ = select.select([fd], [], [], 0.5)
            if r:
                buf += os.read(fd, 4096)
                if want in buf:
                    return True
        return False
    finally:
        os.close(fd)


def remove_guest(name):
    """Removes the domain and its disk from both hosts, whatever its state."""
    for uri in uris():
        virsh(uri, "destroy", name, check=False)
        virsh(uri, "undefine", name, check=False)
        virsh(uri, "vol-delete", "--pool", "default", name + ".qcow2", check=False)
