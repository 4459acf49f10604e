"""Harness for the API tier: runs one real vireod against the real libvirtd
(qemu:///system) and gives the tests an HTTP client, virsh helpers and
clean-up of every domain and pool they create. Standard library only.

vireod needs credentials on every API route but the login and the API
description: the daemon is started with --init-admin-password-file (a random
password in a private temporary file), the harness logs in as 'admin' and
makes an API token, and client() sends "Authorization: Bearer TOKEN" by
default. anonymous(), login(), make_user() and token_client() give the
access-control tests other identities; every /api/ answer is checked for
leaked passwords and hashes as it arrives (LEAKS, see test_secrets)."""

import atexit
import hashlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import xml.sax.saxutils

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
URI = os.environ.get("VIREO_CONNECT", "qemu:///system")
GUEST_DIR = os.environ.get("VIREO_GUEST_DIR", "/var/lib/libvirt/images/vireo-test")
SERIAL_LOG_DIR = os.environ.get("VIREO_SERIAL_LOG_DIR", "/var/log/libvirt/qemu")
GUEST_SCRIPTS = os.path.join(REPO, "tests", "guest")
MARKER = "VIREO-GUEST-READY"
PREFIX = "vireo-t-%d-" % os.getpid()
RESULTS_DIR = os.environ.get("VIREO_RESULTS_DIR", os.path.join(REPO, "build", "test-results"))
LIBVIRT_SOCK = "/run/libvirt/libvirt-sock"

ERROR_CODES = {
    400: "invalid_argument", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 412: "precondition_failed",
    413: "payload_too_large", 414: "uri_too_long", 415: "unsupported_media_type", 429: "too_many_requests",
    503: "unavailable", 500: "internal", 501: "unsupported", 507: "insufficient_storage",
}

SESSION_COOKIE = "vireo_session"
CSRF_HEADER = "X-Vireo-CSRF"

# Secrets the tests handle. Passwords (and digests of API tokens) must never
# appear in any API answer; every secret must never appear in vireod's log.
# Every answer to an /api/ request is checked as it arrives; what leaked is
# collected in LEAKS and reported by test_secrets.
ANSWER_SECRETS = set()
LOG_SECRETS = set()
LEAKS = []
HASH_MARKERS = ("$argon2",)
LOG_PATHS = []      # every vireod log written by this run


def remember_password(pw):
    ANSWER_SECRETS.add(pw)
    LOG_SECRETS.add(pw)
    return pw


def remember_token(token):
    """A token is shown once by design, so only its digest must stay out of
    answers; the token itself must stay out of the log."""
    LOG_SECRETS.add(token)
    ANSWER_SECRETS.add(hashlib.sha256(token.encode()).hexdigest())
    return token


def new_password():
    return remember_password("pw-" + secrets.token_urlsafe(15))


def vireo_bin():
    path = os.environ.get("VIREO_BIN", os.path.join("build", "vireod"))
    return path if os.path.isabs(path) else os.path.join(REPO, path)


def log(msg):
    sys.stderr.write("[harness] %s\n" % msg)
    sys.stderr.flush()


_next_source = [10]


def fresh_source():
    """A loopback source address (127.0.x.y) not used before in this run: the
    login throttle counts failures per address, so tests that fail logins on
    purpose use their own address and leave 127.0.0.1 alone."""
    n = _next_source[0]
    _next_source[0] += 1
    return "127.0.%d.%d" % (n // 250, 2 + n % 250)


# --------------------------------------------------------------------------
# The daemon

class Daemon:
    """One vireod with its own temporary inventory. start() creates the admin
    from --init-admin-password-file, logs in and makes an API token (unless
    login=False). `tls_context` (an ssl.SSLContext trusting the daemon's
    certificate) makes the clients speak HTTPS."""

    def __init__(self, name="api", extra_args=(), tls_context=None, tls_name="localhost",
                 connect=None):
        self.name = name
        self.connect = connect or URI
        self.extra_args = list(extra_args)
        self.tls_context = tls_context
        self.tls_name = tls_name
        self.proc = None
        self.port = None
        self.tmp = None
        self.log_path = None
        self.log_file = None
        self.exit_code = None
        self.admin_password = None
        self.token = None
        self.token_id = None

    @property
    def scheme(self):
        return "https" if self.tls_context else "http"

    def command(self):
        binary = vireo_bin()
        if not os.access(binary, os.X_OK):
            raise RuntimeError("vireod binary not found at %s (set VIREO_BIN or run make)" % binary)
        self.tmp = tempfile.mkdtemp(prefix="vireo-%s-" % self.name)
        self.port = free_port()
        self.admin_password = new_password()
        pwfile = os.path.join(self.tmp, "admin-password")
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.admin_password + "\n")
        return [binary, "--listen", "127.0.0.1:%d" % self.port, "--connect", self.connect,
                "--db", os.path.join(self.tmp, "vireo.db"),
                "--webui", os.path.join(REPO, "webui"), "--log-level", "debug",
                "--init-admin-password-file", pwfile] + self.extra_args

    def start(self, timeout=30.0, login=True):
        cmd = self.command()
        os.makedirs(RESULTS_DIR, exist_ok=True)
        self.log_path = os.path.join(RESULTS_DIR, "vireod-%s.log" % self.name)
        self.log_file = open(self.log_path, "wb")
        if self.log_path not in LOG_PATHS:
            LOG_PATHS.append(self.log_path)
        log("starting %s" % " ".join(cmd))
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log_file,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        last = None
        anon = self.client(token=None)
        # The API description is public: it answers as soon as HTTP is up.
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("vireod exited with %s during start-up; log: %s\n%s"
                                   % (self.proc.returncode, self.log_path, self.log_tail()))
            try:
                r = anon.get("/api/openapi.json", timeout=5)
                if r.status == 200:
                    break
                last = "status %d" % r.status
            except (OSError, http.client.HTTPException) as e:
                last = repr(e)
            time.sleep(0.1)
        else:
            self._fail_start(timeout, last)
        if not login:
            return
        self.login_admin()
        # ...and libvirt is connected once GET /api/host answers.
        api = self.client()
        while time.monotonic() < deadline:
            try:
                r = api.get("/api/host", timeout=5)
                if r.status == 200:
                    log("vireod (%s) answers on port %d (pid %d)" % (self.name, self.port,
                                                                      self.proc.pid))
                    return
                last = "GET /api/host: %r" % r
            except (OSError, http.client.HTTPException) as e:
                last = repr(e)
            time.sleep(0.1)
        self._fail_start(timeout, last)

    def _fail_start(self, timeout, last):
        self.proc.kill()
        self.proc.wait()
        raise RuntimeError("vireod did not become ready within %.0fs (%s); log:\n%s"
                           % (timeout, last, self.log_tail()))

    def login_admin(self):
        r, session = login(self, "admin", self.admin_password)
        if r.status != 200 or session is None:
            raise RuntimeError("admin login failed: %r" % r)
        r = session.post("/api/tokens", json_body={"name": "harness"})
        if r.status != 201:
            raise RuntimeError("creating the harness API token failed: %r" % r)
        self.token = remember_token(r.json()["token"])
        self.token_id = r.json()["id"]

    def stop(self, timeout=20.0):
        """SIGTERM, wait; returns the exit code (None if it had to be killed)."""
        if self.proc is None:
            return self.exit_code
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log("vireod ignored SIGTERM for %.0fs, killing it" % timeout)
                self.proc.kill()
                self.proc.wait()
                self.exit_code = None
                self._close()
                return None
        self.exit_code = self.proc.returncode
        self._close()
        return self.exit_code

    def _close(self):
        self.proc = None
        if self.log_file:
            self.log_file.close()
            self.log_file = None
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except (OSError, TypeError):
            return ""

    def log_tail(self, lines=40):
        text = self.log_text()
        return "\n".join(text.splitlines()[-lines:]) if text else "(no log)"

    def origin(self):
        return "%s://127.0.0.1:%d" % (self.scheme, self.port)

    def client(self, token="admin", **kw):
        """A client of this daemon; by default with the admin's API token."""
        if token == "admin":
            token = self.token
        return Client(self.port, token=token, tls_context=self.tls_context,
                      tls_name=self.tls_name, **kw)


_daemon = None


def daemon():
    """The one shared daemon, started on first use."""
    global _daemon
    if _daemon is None:
        d = Daemon()
        d.start()
        _daemon = d
    return _daemon


def _at_exit():
    # When a test module runs on its own (python3 -m unittest test_vms), the
    # runner's clean-up does not happen: stop the daemon and remove our VMs.
    if _daemon is not None:
        stop_daemon()
        sweep()


atexit.register(_at_exit)


def stop_daemon():
    global _daemon
    if _daemon is None:
        return None
    code = _daemon.stop()
    _daemon = None
    return code


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


# --------------------------------------------------------------------------
# HTTP

class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self._json = None

    def header(self, name):
        return self.headers.get(name)

    def json(self):
        if self._json is None:
            self._json = json.loads(self.body.decode("utf-8"))
        return self._json

    def set_cookies(self):
        """{name: (value, [attributes as given])} of the Set-Cookie headers."""
        out = {}
        for line in self.headers.get_all("Set-Cookie") or []:
            parts = [p.strip() for p in line.split(";")]
            name, _, value = parts[0].partition("=")
            out[name.strip()] = (value.strip(), parts[1:])
        return out

    def __repr__(self):
        body = self.body[:600].decode("utf-8", "replace")
        return "<HTTP %d %s; %s; body=%r>" % (
            self.status, self.reason,
            ", ".join("%s: %s" % kv for kv in self.headers.items()), body)


class _HTTPSConnection(http.client.HTTPConnection):
    """HTTPS to 127.0.0.1 while checking the certificate for `tls_name`."""

    def __init__(self, host, port, context, tls_name, **kw):
        super().__init__(host, port, **kw)
        self._context = context
        self._tls_name = tls_name

    def connect(self):
        super().connect()
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self._tls_name)


def _check_leaks(method, path, resp):
    if not path.startswith("/api"):
        return
    text = resp.body.decode("utf-8", "replace") + "\n" + str(resp.headers)
    for s in ANSWER_SECRETS:
        if s in text:
            LEAKS.append("%s %s answered a password or token digest (%s...): %r"
                         % (method, path, s[:6], resp))
    for m in HASH_MARKERS:
        if m in text:
            LEAKS.append("%s %s answered a password hash (%s): %r" % (method, path, m, resp))


class Client:
    """HTTP(S) client of one vireod. Credentials: `token` (sent as
    Authorization: Bearer) or `cookie` (the session cookie's value; then
    state-changing requests carry X-Vireo-CSRF: 1 and a same-origin Origin
    unless csrf=False). `source` binds the client to a loopback address.
    In `headers`, a value of None removes a default header."""

    def __init__(self, port, timeout=60, token=None, cookie=None, csrf=True, source=None,
                 tls_context=None, tls_name="localhost"):
        self.port = port
        self.timeout = timeout
        self.token = token
        self.cookie = cookie
        self.csrf = csrf
        self.source = source
        self.tls_context = tls_context
        self.tls_name = tls_name

    @property
    def origin(self):
        return "%s://127.0.0.1:%d" % ("https" if self.tls_context else "http", self.port)

    def _connection(self, timeout):
        kw = {"timeout": timeout}
        if self.source:
            kw["source_address"] = (self.source, 0)
        if self.tls_context:
            return _HTTPSConnection("127.0.0.1", self.port, self.tls_context, self.tls_name, **kw)
        return http.client.HTTPConnection("127.0.0.1", self.port, **kw)

    def default_headers(self, method):
        hdrs = {}
        if self.token:
            hdrs["Authorization"] = "Bearer " + self.token
        if self.cookie is not None:
            hdrs["Cookie"] = "%s=%s" % (SESSION_COOKIE, self.cookie)
            if self.csrf and method not in ("GET", "HEAD"):
                hdrs[CSRF_HEADER] = "1"
                hdrs["Origin"] = self.origin
        return hdrs

    def request(self, method, path, body=None, headers=None, json_body=None, timeout=None):
        """Sends one request on a fresh connection. `path` is sent exactly as
        given (no normalisation). json_body is serialised with
        Content-Type: application/json."""
        hdrs = self.default_headers(method)
        for k, v in (headers or {}).items():
            for have in [h for h in hdrs if h.lower() == k.lower()]:
                del hdrs[have]
            if v is not None:
                hdrs[k] = v
        if json_body is not None:
            body = json.dumps(json_body).encode("utf-8")
            if not any(h.lower() == "content-type" for h in hdrs):
                hdrs["Content-Type"] = "application/json"
        if isinstance(body, str):
            body = body.encode("utf-8")
        conn = self._connection(timeout or self.timeout)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for k, v in hdrs.items():
                conn.putheader(k, v)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            elif method in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", "0")
            conn.endheaders()
            if body:
                try:
                    # The server may answer (413) and close before reading it all.
                    view = memoryview(body)
                    for i in range(0, len(body), 65536):
                        conn.sock.sendall(view[i:i + 65536])
                except (BrokenPipeError, ConnectionResetError):
                    pass
            resp = conn.getresponse()
            data = resp.read()
            r = Response(resp.status, resp.reason, resp.headers, data)
            _check_leaks(method, path, r)
            return r
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, json_body=None, **kw):
        return self.request("PATCH", path, json_body=json_body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


def client():
    """A client of the shared daemon with the admin's API token."""
    return daemon().client()


def anonymous():
    """A client of the shared daemon without credentials."""
    return daemon().client(token=None)


# --------------------------------------------------------------------------
# Users, sessions and tokens

def login(d, username, password, source=None, headers=None):
    """POST /api/session. Returns (response, a cookie Client or None)."""
    anon = d.client(token=None, source=source)
    r = anon.post("/api/session", json_body={"username": username, "password": password},
                  headers=headers)
    cookie = r.set_cookies().get(SESSION_COOKIE)
    if r.status != 200 or not cookie or not cookie[0]:
        return r, None
    LOG_SECRETS.add(cookie[0])
    return r, d.client(token=None, cookie=cookie[0], source=source)


def make_user(d, tag, role, password=None):
    """Creates a user (as admin) with a fresh password; returns (name, password)."""
    name = "u%d-%s" % (os.getpid() % 10000, tag)
    password = password or new_password()
    r = d.client().post("/api/users", json_body={"username": name, "password": password,
                                                 "role": role})
    if r.status != 201:
        raise AssertionError("creating user %s (%s) failed: %r" % (name, role, r))
    return name, password


def token_client(d, username, password, name="t"):
    """Logs in and makes an API token; returns (Client with that token, token id)."""
    r, session = login(d, username, password)
    if session is None:
        raise AssertionError("login of %s failed: %r" % (username, r))
    r = session.post("/api/tokens", json_body={"name": name})
    if r.status != 201:
        raise AssertionError("token for %s failed: %r" % (username, r))
    token = remember_token(r.json()["token"])
    return d.client(token=token), r.json()["id"]


def grant(d, username, vm):
    r = d.client().post("/api/users/%s/grants" % username, json_body={"vm": vm})
    if r.status != 201:
        raise AssertionError("grant of %s to %s failed: %r" % (vm, username, r))
    return r


# --------------------------------------------------------------------------
# virsh and guests

def virsh(*args, check=True, timeout=120):
    cmd = ["virsh", "-q", "-c", URI] + list(args)
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    out = p.stdout.decode("utf-8", "replace")
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), p.returncode,
                                                   p.stderr.decode("utf-8", "replace")))
    return out


def domain_exists(name):
    p = subprocess.run(["virsh", "-q", "-c", URI, "domuuid", name], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return p.returncode == 0


def domain_uuid(name):
    return virsh("domuuid", name).strip()


def domain_state(name):
    return virsh("domstate", name).strip().splitlines()[0].strip()


_names = []


def unique_name(tag):
    """A domain name for this run; remembered so it is cleaned up."""
    name = "%s%s" % (PREFIX, tag)
    _names.append(name)
    return name


def define_guest(name, memory_mib=128, graphics="none"):
    """Defines the bootable test guest (tests/guest/define-guest.sh); with
    graphics="vnc" it has a screen behind a display that listens nowhere."""
    if name not in _names:
        _names.append(name)
    subprocess.run([os.path.join(GUEST_SCRIPTS, "define-guest.sh"), name, str(memory_mib),
                    graphics], check=True, stdout=subprocess.DEVNULL)
    return name


def define_xml(name, memory_mib=64, devices=""):
    """Defines a non-booting domain with extra raw <devices> XML (disks, nics)."""
    if name not in _names:
        _names.append(name)
    esc = xml.sax.saxutils.escape
    doc = """<domain type='qemu'>
  <name>%s</name>
  <memory unit='MiB'>%d</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <devices>%s</devices>
</domain>
""" % (esc(name), memory_mib, devices)
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
        f.write(doc)
        path = f.name
    try:
        virsh("define", path)
    finally:
        os.unlink(path)
    return name


def remove_domain(name):
    """Destroys and undefines a domain if it exists; never raises."""
    try:
        if not domain_exists(name):
            return
        log_path = _logged_serial(name)
        if log_path and log_path.startswith(VIREO_SERIAL_LOG_DIR + "/"):
            try:
                os.unlink(log_path)
            except OSError:
                pass
        virsh("destroy", name, check=False)
        virsh("undefine", name, "--managed-save", "--snapshots-metadata", "--nvram", check=False)
        if domain_exists(name):
            virsh("undefine", name, check=False)
    except Exception as e:  # clean-up must not hide the real failure
        log("clean-up of %s failed: %r" % (name, e))
    for suffix in ("-serial.log",):
        try:
            os.unlink(os.path.join(SERIAL_LOG_DIR, name + suffix))
        except OSError:
            pass


# VMs vireod creates log their serial line by UUID, in a folder of their
# own (never by name: a VM "x-serial" would share VM "x"'s file); guests the
# tests define themselves log to NAME-serial.log.
VIREO_SERIAL_LOG_DIR = os.path.join(SERIAL_LOG_DIR, "vireo-serial")


def _logged_serial(name):
    """The <log file> of the domain's serial port, from its definition."""
    try:
        xml_text = virsh("dumpxml", "--inactive", name, check=False)
    except Exception:
        return None
    m = re.search(r"<serial[^>]*>.*?<log file='([^']+)'", xml_text, re.S)
    return m.group(1) if m else None


def serial_log(name):
    return _logged_serial(name) or os.path.join(SERIAL_LOG_DIR, name + "-serial.log")


def marker_count(name):
    try:
        with open(serial_log(name), "rb") as f:
            return f.read().count(MARKER.encode())
    except OSError:
        return 0


def wait_marker(name, timeout=60, count=1):
    """True once the guest printed the marker `count` times since its start."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if marker_count(name) >= count:
            return True
        time.sleep(0.2)
    return False


def sweep():
    """Removes every domain and pool this run created (by prefix)."""
    names = set(_names)
    try:
        for line in virsh("list", "--all", "--name", check=False).splitlines():
            if line.strip().startswith(PREFIX):
                names.add(line.strip())
    except Exception:
        pass
    for n in sorted(names):
        remove_domain(n)
    try:
        for line in virsh("pool-list", "--all", "--name", check=False).splitlines():
            p = line.strip()
            if p.startswith(PREFIX):
                virsh("pool-destroy", p, check=False)
                virsh("pool-undefine", p, check=False)
    except Exception:
        pass


def sweep_stale():
    """Removes domains and pools left by earlier runs that died (vireo-t-PID-
    whose PID no longer exists)."""
    pat = re.compile(r"^vireo-t-(\d+)-")
    try:
        names = virsh("list", "--all", "--name", check=False).split()
        pools = virsh("pool-list", "--all", "--name", check=False).split()
    except Exception:
        return
    for n in names:
        m = pat.match(n)
        if m and int(m.group(1)) != os.getpid() and not os.path.exists("/proc/" + m.group(1)):
            log("removing stale domain %s" % n)
            remove_domain(n)
    for p in pools:
        m = pat.match(p)
        if m and int(m.group(1)) != os.getpid() and not os.path.exists("/proc/" + m.group(1)):
            log("removing stale pool %s" % p)
            virsh("pool-destroy", p, check=False)
            virsh("pool-undefine", p, check=False)
    # Networks of test_networks.py: vst<PID>-...
    net_pat = re.compile(r"^vst(\d+)-")
    for n in virsh("net-list", "--all", "--name", check=False).split():
        m = net_pat.match(n)
        if m and int(m.group(1)) != os.getpid() and not os.path.exists("/proc/" + m.group(1)):
            log("removing stale network %s" % n)
            virsh("net-destroy", n, check=False)
            virsh("net-undefine", n, check=False)
    images = "/var/lib/libvirt/images"
    for d in os.listdir(images) if os.path.isdir(images) else ():
        m = pat.match(d)
        if m and int(m.group(1)) != os.getpid() and not os.path.exists("/proc/" + m.group(1)):
            shutil.rmtree(os.path.join(images, d), ignore_errors=True)


def libvirtd_running():
    return os.path.exists(LIBVIRT_SOCK) and pidfile_process("/run/libvirtd.pid", "libvirtd") is not None


def process_alive(pid):
    """True while pid runs; a zombie (killed, not yet reaped) counts as gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return False


def kill_and_wait(pid, sig, timeout=15):
    os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while process_alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + timeout
        time.sleep(0.05)


def pidfile_process(pidfile, comm):
    try:
        with open(pidfile) as f:
            pid = int(f.read().strip())
        with open("/proc/%d/comm" % pid) as f:
            if f.read().strip() == comm and process_alive(pid):
                return pid
    except (OSError, ValueError):
        pass
    return None


def libvirtd_pid():
    return pidfile_process("/run/libvirtd.pid", "libvirtd")


def start_libvirtd():
    """Starts virtlogd/libvirtd the way `make run` does (no systemd here)."""
    p = subprocess.run(["sh", os.path.join(REPO, "packaging", "host-setup.sh")],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return p.returncode == 0


# --------------------------------------------------------------------------
# Test base class

ETAG_RE = re.compile(r'^"[^"]*"$')


class ApiTestCase(unittest.TestCase):
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        cls.daemon = daemon()
        cls.api = client()          # the admin's API token
        cls.anon = anonymous()      # no credentials at all

    def new_name(self, tag):
        name = unique_name(tag)
        self.addCleanup(remove_domain, name)
        return name

    def guest(self, tag, memory_mib=128, graphics="none"):
        """Defines the bootable test guest; removed after the test."""
        name = self.new_name(tag)
        define_guest(name, memory_mib, graphics)
        return name

    def assertStatus(self, resp, status, msg=None):
        if resp.status != status:
            self.fail("expected HTTP %d, got %r%s" % (status, resp, (" (%s)" % msg) if msg else ""))

    def assertError(self, resp, status, code=None):
        """Status plus the {"error":{"code","message"}} shape."""
        self.assertStatus(resp, status)
        ctype = resp.header("Content-Type") or ""
        self.assertTrue(ctype.startswith("application/json"),
                        "error answer Content-Type %r, want application/json: %r" % (ctype, resp))
        try:
            doc = resp.json()
        except ValueError:
            self.fail("error answer is not JSON: %r" % resp)
        self.assertIsInstance(doc, dict, repr(resp))
        self.assertIn("error", doc, repr(resp))
        err = doc["error"]
        self.assertIsInstance(err, dict, repr(resp))
        self.assertIsInstance(err.get("code"), str, repr(resp))
        self.assertIsInstance(err.get("message"), str, repr(resp))
        self.assertTrue(err["message"], "empty error message: %r" % resp)
        want = code or ERROR_CODES.get(status)
        if want:
            self.assertEqual(err["code"], want, repr(resp))
        return err

    def assertETag(self, resp):
        etag = resp.header("ETag")
        self.assertIsNotNone(etag, "no ETag header: %r" % resp)
        self.assertRegex(etag, ETAG_RE, "ETag must be strong and quoted: %r" % resp)
        return etag

    def vm(self, name):
        r = self.api.get("/api/vms/" + name)
        self.assertStatus(r, 200)
        return r.json()

    def action(self, name, act, status=200):
        r = self.api.post("/api/vms/%s/%s" % (name, act))
        self.assertStatus(r, status, "POST %s %s" % (act, name))
        return r

    def wait_state(self, name, state, timeout=60):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            r = self.api.get("/api/vms/" + name)
            if r.status == 200:
                last = r.json().get("state")
                if last == state:
                    return time.monotonic()
            else:
                last = repr(r)
            time.sleep(0.25)
        self.fail("%s did not reach state %r within %ss (last %r, virsh says %r)"
                  % (name, state, timeout, last, domain_state(name) if domain_exists(name) else "gone"))

    def wait_marker(self, name, timeout=60, count=1):
        if not wait_marker(name, timeout, count):
            try:
                with open(serial_log(name), "rb") as f:
                    tail = f.read()[-1500:].decode("utf-8", "replace")
            except OSError:
                tail = "(no serial log)"
            self.fail("guest %s: marker x%d not seen in %ss; serial log tail:\n%s"
                      % (name, count, timeout, tail))
