"""Live-server integration harness for mucd.

Starts a private XMPP server on loopback (Prosody, or ejabberd with
MUCD_TEST_SERVER=ejabberd), the mucd binary attached to it as an XEP-0114
component, and slixmpp clients logged in over c2s, all driven synchronously
from stdlib ``unittest`` tests.

Building blocks (usable on their own, e.g. from benchmarks):

* :class:`Prosody` - one Prosody instance: its own temporary directory
  (config, data, log, pid file) and free loopback ports that stay the same
  across :meth:`Prosody.restart`.
* :class:`Ejabberd` - the same for one private ejabberd node (config,
  Mnesia spool, logs and Erlang cookie in its temporary directory, a node
  name of its own, no epmd); :func:`Server` makes the one MUCD_TEST_SERVER
  asks for, and :data:`ON_EJABBERD` tells tests which one runs.
* :class:`Mucd` - one mucd process with an INI config written from a dict
  of sections; its output goes to a log file that can be waited on.
* :class:`Client` - a slixmpp ``ClientXMPP`` run on a shared background
  event loop; every received message/presence/iq is queued so tests can
  wait for stanzas matching a predicate.
* :class:`LiveTestCase` - a ``unittest.TestCase`` base that creates the
  above, stops everything by pid in cleanups (``atexit`` as a backstop),
  and removes temporary directories only when the test passed (and
  ``MUCD_KEEP_TMP`` is not ``1``).

Every wait in this module is bounded by a timeout.

Environment:
  MUCD_BIN       path of the mucd binary (default: <repo>/build/mucd)
  MUCD_TEST_SERVER  the XMPP server: prosody (default) or ejabberd
  MUCD_KEEP_TMP  1 keeps all temporary directories (paths are printed)
  MUCD_WRAPPER   a command prefix put before mucd's argv (split like a shell
                 would), e.g. "valgrind --log-file=/tmp/vg.%p.log"; give the
                 tool a log file of its own, so mucd's log stays mucd's
  MUCD_TIMEOUT_SCALE  a factor (>= 1) for every wait that involves mucd
                 (its start, log, exit, stop, and the clients' waits for
                 replies), for slow runs such as under valgrind
"""

import asyncio
import atexit
import copy
import itertools
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.xmlstream import tostring as slix_tostring

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOOPBACK = "127.0.0.1"
DEFAULT_TIMEOUT = 10.0

# Namespaces the tests assert on.
NS_CLIENT = "jabber:client"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"
NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
NS_MUC = "http://jabber.org/protocol/muc"
NS_PING = "urn:xmpp:ping"
NS_VERSION = "jabber:iq:version"

CONNECTED_MARKER = "component: connected"


# ---------------------------------------------------------------------------
# Small utilities
# ---------------------------------------------------------------------------

class HarnessError(Exception):
    """A harness-level failure (process did not start, timeout, ...)."""


def keep_tmp_requested():
    """True when the environment asks to keep every temporary directory."""
    return os.environ.get("MUCD_KEEP_TMP", "") == "1"


def mucd_wrapper():
    """The command prefix for mucd from env MUCD_WRAPPER ([] when unset)."""
    return shlex.split(os.environ.get("MUCD_WRAPPER", ""))


def timeout_scale():
    """The factor from env MUCD_TIMEOUT_SCALE (1.0 when unset or invalid)."""
    try:
        return max(1.0, float(os.environ.get("MUCD_TIMEOUT_SCALE", "") or 1.0))
    except ValueError:
        return 1.0


def scaled(timeout):
    """``timeout`` times :func:`timeout_scale` (None stays None)."""
    return None if timeout is None else timeout * timeout_scale()


def mucd_binary():
    """Path of the mucd binary under test (env MUCD_BIN or <repo>/build/mucd)."""
    return os.environ.get("MUCD_BIN") or os.path.join(REPO_ROOT, "build", "mucd")


def free_ports(count):
    """Return ``count`` distinct free TCP ports on loopback (kernel-chosen).

    All sockets are held open until every port is chosen, so the ports are
    distinct; the kernel picks from the ephemeral range, never 5222/5347.
    """
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((LOOPBACK, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def tcp_accepts(port, host=LOOPBACK, timeout=0.5):
    """True if a TCP connection to host:port succeeds right now."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(predicate, timeout, what, interval=0.05):
    """Poll ``predicate`` until it returns a truthy value; return that value.

    Raises :class:`HarnessError` mentioning ``what`` after ``timeout`` s
    (times MUCD_TIMEOUT_SCALE).
    """
    timeout = scaled(timeout)
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise HarnessError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def tail(text, lines=40):
    """The last ``lines`` lines of ``text``."""
    return "\n".join(text.splitlines()[-lines:])


def read_text(path):
    """Contents of a (log) file, '' if it does not exist yet."""
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


# ---------------------------------------------------------------------------
# Process bookkeeping
# ---------------------------------------------------------------------------

_live_processes = set()
_live_lock = threading.Lock()


def _track(proc):
    with _live_lock:
        _live_processes.add(proc)


def _untrack(proc):
    with _live_lock:
        _live_processes.discard(proc)


def terminate_process(proc, timeout=DEFAULT_TIMEOUT, sig=signal.SIGTERM):
    """Send ``sig`` to ``proc`` by pid, wait up to ``timeout``, then SIGKILL.

    The process was started in its own session, so on SIGKILL its process
    group (which holds only what it spawned) is killed by id as well.
    Returns the exit code (negative signal number if killed by a signal).
    """
    if proc.poll() is None:
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=timeout)
    _untrack(proc)
    return proc.returncode


def _kill_leftovers():
    """atexit backstop: stop every process the harness started and that still runs."""
    with _live_lock:
        procs = list(_live_processes)
    for proc in procs:
        try:
            terminate_process(proc, timeout=3)
        except Exception:  # noqa: BLE001 - best effort at interpreter exit
            pass


atexit.register(_kill_leftovers)


def _install_sigterm_handler():
    """Turn SIGTERM of the test runner into KeyboardInterrupt, so that unittest
    stops and the atexit backstop runs (by default SIGTERM skips atexit)."""
    if (threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL):
        def on_sigterm(_signo, _frame):
            raise KeyboardInterrupt("SIGTERM")
        signal.signal(signal.SIGTERM, on_sigterm)


_install_sigterm_handler()

# If the runner dies without running atexit (SIGKILL, e.g. a CI timeout), the
# kernel kills the children too: setpriv sets PR_SET_PDEATHSIG and execs the
# program, which keeps the pid.
_SETPRIV = shutil.which("setpriv")
PDEATHSIG_PREFIX = [_SETPRIV, "--pdeathsig", "KILL", "--"] if _SETPRIV else []


def spawn(argv, log_path, env=None):
    """Start ``argv`` in a new session with stdout+stderr appended to ``log_path``."""
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            PDEATHSIG_PREFIX + list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )
    _track(proc)
    return proc


class TempDir:
    """A temporary directory that is removed by :meth:`cleanup` unless kept."""

    def __init__(self, prefix):
        self.path = tempfile.mkdtemp(prefix=prefix)
        self.done = False

    def join(self, *parts):
        """Path of a file inside the directory."""
        return os.path.join(self.path, *parts)

    def cleanup(self, keep=False):
        """Remove the directory, or print its path when it is kept (once)."""
        if self.done:
            return
        self.done = True
        if keep or keep_tmp_requested():
            print("kept temporary directory: %s" % self.path, file=sys.stderr)
        else:
            shutil.rmtree(self.path, ignore_errors=True)


# ---------------------------------------------------------------------------
# Prosody
# ---------------------------------------------------------------------------

def lua_string(value):
    """A Lua string literal for ``value``."""
    return '"%s"' % str(value).replace("\\", "\\\\").replace('"', '\\"')


class _ServerBase:
    """What :class:`Prosody` and :class:`Ejabberd` share: cleanup and use as a
    context manager (``with Server() as s:``)."""

    def cleanup(self, keep=False):
        """Stop the server and remove (or keep) its temporary directory."""
        self.stop()
        self.tmp.cleanup(keep)

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        self.cleanup(keep=exc_type is not None)


class Prosody(_ServerBase):
    """A private Prosody instance on loopback.

    :param components: dict external component domain -> secret
                       (default: ``{"chat.localhost": secret}``)
    :param secret: secret of the default component
    :param with_muc: also serve Prosody's own MUC as ``conference.localhost``
                     (rooms are not locked on creation)
    :param extra_global: extra Lua lines for the global section
    """

    KIND = "prosody"
    HOST = "localhost"
    MUC_DOMAIN = "conference.localhost"
    DEFAULT_COMPONENT = "chat.localhost"
    MODULES = ("roster", "saslauth", "disco", "ping", "posix")

    def __init__(self, components=None, secret="integration-secret", with_muc=False,
                 extra_global=""):
        self.components = dict(components or {self.DEFAULT_COMPONENT: secret})
        self.with_muc = with_muc
        self.extra_global = extra_global
        self.tmp = TempDir("mucd-it-prosody-")
        self.config_path = self.tmp.join("prosody.cfg.lua")
        self.data_dir = self.tmp.join("data")
        self.certs_dir = self.tmp.join("certs")
        self.log_path = self.tmp.join("prosody.log")
        self.out_path = self.tmp.join("prosody.out")
        self.pid_path = self.tmp.join("prosody.pid")
        self.c2s_port, self.component_port = free_ports(2)
        self.proc = None
        os.makedirs(self.data_dir)
        os.makedirs(self.certs_dir)  # empty: no TLS, but no "cannot open certs" error
        self.write_config()

    def secret(self, domain=DEFAULT_COMPONENT):
        """The component secret configured for ``domain``."""
        return self.components[domain]

    def config_text(self):
        """The Lua configuration this instance runs with."""
        modules = "; ".join(lua_string(m) for m in self.MODULES)
        lines = [
            "-- generated by tests/integration/harness.py",
            "run_as_root = true",
            "daemonize = false",
            "pidfile = %s" % lua_string(self.pid_path),
            "data_path = %s" % lua_string(self.data_dir),
            "certificates = %s" % lua_string(self.certs_dir),
            "log = { debug = %s }" % lua_string(self.log_path),
            "interfaces = { %s }" % lua_string(LOOPBACK),
            "c2s_ports = { %d }" % self.c2s_port,
            "c2s_direct_tls_ports = { }",
            "legacy_ssl_ports = { }",
            "component_ports = { %d }" % self.component_port,
            "component_interfaces = { %s }" % lua_string(LOOPBACK),
            "modules_enabled = { %s }" % modules,
            'modules_disabled = { "s2s" }',
            "c2s_require_encryption = false",
            "allow_unencrypted_plain_auth = true",
            'authentication = "internal_plain"',
            self.extra_global,
            "",
            "VirtualHost %s" % lua_string(self.HOST),
            "",
        ]
        for domain, secret in self.components.items():
            lines += ["Component %s" % lua_string(domain),
                      "  component_secret = %s" % lua_string(secret), ""]
        if self.with_muc:
            # Prosody locks a new room until its owner configures it
            # (XEP-0045 10.1.2); benchmarks want instant rooms.
            lines += ["Component %s %s" % (lua_string(self.MUC_DOMAIN), lua_string("muc")),
                      "  muc_room_locking = false", ""]
        return "\n".join(lines)

    def write_config(self):
        """(Re)write the config file from the current attributes."""
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(self.config_text())

    @property
    def running(self):
        """True while the Prosody process is alive."""
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout=DEFAULT_TIMEOUT):
        """Start Prosody in the foreground; return when both ports accept TCP."""
        if self.running:
            raise HarnessError("prosody already running (pid %d)" % self.proc.pid)
        self.proc = spawn(["prosody", "--config", self.config_path, "-F"], self.out_path)

        def ready():
            if self.proc.poll() is not None:
                raise HarnessError("prosody exited with code %s during start-up\n%s"
                                   % (self.proc.returncode, self.log_tail()))
            return tcp_accepts(self.c2s_port) and tcp_accepts(self.component_port)

        try:
            wait_until(ready, timeout, "prosody to listen on %d/%d"
                       % (self.c2s_port, self.component_port))
        except HarnessError as e:
            self.stop()
            raise HarnessError("%s\n--- prosody log tail ---\n%s" % (e, self.log_tail())) from None
        return self

    def stop(self, timeout=DEFAULT_TIMEOUT):
        """SIGTERM Prosody by pid (SIGKILL after ``timeout``); return its exit code."""
        if self.proc is None:
            return None
        return terminate_process(self.proc, timeout)

    def kill(self, sig=signal.SIGKILL, timeout=DEFAULT_TIMEOUT):
        """Kill Prosody by pid with ``sig`` (default SIGKILL); return its exit code."""
        return terminate_process(self.proc, timeout, sig)

    def restart(self, timeout=DEFAULT_TIMEOUT):
        """Stop and start again on the same ports and data directory."""
        self.stop(timeout)
        return self.start(timeout)

    def prosodyctl(self, *args, timeout=DEFAULT_TIMEOUT):
        """Run ``prosodyctl --config FILE ARGS``; raise with its output on failure."""
        argv = ["prosodyctl", "--config", self.config_path] + list(args)
        try:
            res = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                 text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise HarnessError("prosodyctl %s timed out after %s s" % (args[0], timeout)) from e
        if res.returncode != 0:
            raise HarnessError("prosodyctl %s failed (%d): %s%s"
                               % (" ".join(args[:1]), res.returncode, res.stdout, res.stderr))
        return res.stdout

    def register(self, user, password, timeout=DEFAULT_TIMEOUT):
        """Create the account user@localhost (works whether Prosody runs or not)."""
        self.prosodyctl("register", user, self.HOST, password, timeout=timeout)
        return "%s@%s" % (user, self.HOST)

    def log_tail(self, lines=40):
        """The last lines of Prosody's log file (and of its stdout/stderr)."""
        text = tail(read_text(self.log_path), lines)
        out = read_text(self.out_path).strip()
        if out:
            text += "\n--- prosody stdout/stderr ---\n" + tail(out, lines)
        return text



# ---------------------------------------------------------------------------
# ejabberd
# ---------------------------------------------------------------------------

def yaml_string(value):
    """A double-quoted YAML scalar for ``value``."""
    return '"%s"' % str(value).replace("\\", "\\\\").replace('"', '\\"')


class Ejabberd(_ServerBase):
    """A private ejabberd node on loopback (Debian 12's ejabberd 23.01).

    Same interface as :class:`Prosody`. Everything lives in its own temporary
    directory: ``ejabberd.yml``, ``ejabberdctl.cfg``, ``inetrc``, the Erlang
    cookie (``HOME`` of the node), the Mnesia spool and the logs; nothing in
    /etc/ejabberd or /var/lib/ejabberd is read or written. The node has a
    name of its own, listens on loopback only (c2s, component and Erlang
    distribution on free ports) and runs without epmd (``ERL_DIST_PORT``:
    ``-start_epmd false``), so a system ejabberd/epmd, if any, is neither
    used nor disturbed.

    The node runs in the foreground as the ``ejabberd`` user (when the harness
    runs as root): ``erl`` is started the way ``ejabberdctl foreground`` starts
    it, but directly, so that :attr:`proc` is the BEAM process itself (erl and
    erlexec exec it): SIGTERM stops it cleanly, SIGKILL kills it, and it dies
    with the test runner (PR_SET_PDEATHSIG). The harness talks to it through
    a hidden client VM connected the way ``ejabberdctl`` connects
    (:meth:`rpc_eval`: accounts, clean stop); ``ejabberdctl --config-dir
    <tmp> --spool <tmp>/spool --logs <tmp>/logs CMD`` (as the ejabberd user,
    ``HOME=<tmp>``) works against it too (:meth:`ejabberdctl`).

    Accounts need a running node: :meth:`register` on a stopped node queues
    the account and :meth:`start` creates it once the node is up. Accounts
    are flushed to disk when created: they survive :meth:`restart` and a
    SIGKILL of the node.

    :param components: dict external component domain -> secret
                       (default: ``{"chat.localhost": secret}``)
    :param secret: secret of the default component
    :param with_muc: also serve ejabberd's own MUC as ``conference.localhost``
    :param extra_config: extra top-level YAML appended to ``ejabberd.yml``
    """

    KIND = "ejabberd"
    HOST = "localhost"
    MUC_DOMAIN = "conference.localhost"
    DEFAULT_COMPONENT = "chat.localhost"
    USER = "ejabberd"
    EJABBERDCTL = "ejabberdctl"
    ERL = "erl"
    START_TIMEOUT = 30.0  # a cold BEAM + Mnesia + ejabberd start takes ~1-2 s
    STARTED_MARKER = "is started in the node"
    _node_counter = itertools.count(1)

    def __init__(self, components=None, secret="integration-secret", with_muc=False,
                 extra_config=""):
        if not shutil.which(self.EJABBERDCTL):
            raise HarnessError("ejabberdctl not found: install Debian's ejabberd "
                               "(bash scripts/deps.sh)")
        self.components = dict(components or {self.DEFAULT_COMPONENT: secret})
        self.with_muc = with_muc
        self.extra_config = extra_config
        self.tmp = TempDir("mucd-it-ejabberd-")
        self.config_dir = self.tmp.path
        self.config_path = self.tmp.join("ejabberd.yml")
        self.ctl_config_path = self.tmp.join("ejabberdctl.cfg")
        self.spool_dir = self.tmp.join("spool")
        self.logs_dir = self.tmp.join("logs")
        self.log_path = os.path.join(self.logs_dir, "ejabberd.log")
        self.error_log_path = os.path.join(self.logs_dir, "error.log")
        self.out_path = self.tmp.join("ejabberd.out")
        self.c2s_port, self.component_port, self.dist_port = free_ports(3)
        # Unique per process and instance: never the system's ejabberd@localhost.
        self.node = "mucdit%d_%d_%s@localhost" % (os.getpid(), next(self._node_counter),
                                                 uuid.uuid4().hex[:6])
        self.cookie = uuid.uuid4().hex
        self.proc = None
        self._pending_accounts = []
        os.makedirs(self.spool_dir)
        os.makedirs(self.logs_dir)
        self.write_config()

    def secret(self, domain=DEFAULT_COMPONENT):
        """The component secret configured for ``domain``."""
        return self.components[domain]

    # -- files ----------------------------------------------------------------

    def config_text(self):
        """The ejabberd.yml this node runs with."""
        lines = [
            "# generated by tests/integration/harness.py",
            "hosts: [%s]" % yaml_string(self.HOST),
            "loglevel: info",
            "log_rotate_count: 0",
            "certfiles: []",
            "listen:",
            "  - port: %d" % self.c2s_port,
            "    ip: %s" % yaml_string(LOOPBACK),
            "    module: ejabberd_c2s",
            "    starttls: false",
            "    starttls_required: false",
            "    shaper: none",
            "    max_stanza_size: 1048576",
            "  - port: %d" % self.component_port,
            "    ip: %s" % yaml_string(LOOPBACK),
            "    module: ejabberd_service",
            "    shaper: none",
            "    max_stanza_size: 1048576",
            "    hosts:",
        ]
        for domain, secret in self.components.items():
            lines.append("      %s: {password: %s}" % (yaml_string(domain), yaml_string(secret)))
        lines += [
            "auth_method: internal",
            "auth_password_format: plain",
            # No s2s: nothing leaves loopback.
            "s2s_access: none",
            "acl:",
            "  local: {user_regexp: \"\"}",
            "access_rules:",
            "  local: {allow: local}",
            "  c2s: {allow: all}",
            "  s2s: {deny: all}",
            "  register: {deny: all}",
            "  muc_create: {allow: all}",
            "shaper_rules: {c2s_shaper: none, s2s_shaper: none}",
            "modules:",
            "  mod_disco: {}",
            "  mod_roster: {}",
            "  mod_ping: {}",
        ]
        if self.with_muc:
            lines.append("  mod_muc: {host: %s, access_create: muc_create, history_size: 50}"
                         % yaml_string(self.MUC_DOMAIN))
        lines += [self.extra_config, ""]
        return "\n".join(lines)

    def write_config(self):
        """(Re)write ejabberd.yml, ejabberdctl.cfg, inetrc and the cookie."""
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(self.config_text())
        with open(self.ctl_config_path, "w", encoding="utf-8") as f:
            # Read by ejabberdctl (a shell script) for every command.
            f.write("ERLANG_NODE=%s\n" % self.node)
            f.write("ERL_DIST_PORT=%d\n" % self.dist_port)
            # Not INET_DIST_INTERFACE: ejabberdctl would start an extra erl per
            # command just to parse it.
            f.write('ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0'
                    ' -kernel inet_dist_use_interface {127,0,0,1}"\n')
            f.write("EJABBERD_BYPASS_WARNINGS=true\n")
        with open(self.tmp.join("inetrc"), "w", encoding="utf-8") as f:
            f.write('{lookup,["file","native"]}.\n{host,{127,0,0,1}, ["localhost"]}.\n')
        cookie = self.tmp.join(".erlang.cookie")
        if os.path.exists(cookie):
            os.chmod(cookie, 0o600)
        with open(cookie, "w", encoding="ascii") as f:
            f.write(self.cookie)
        os.chmod(cookie, 0o400)
        self._chown()

    def _ids(self):
        """(uid, gid) of the ejabberd user, or None when not running as root."""
        if os.geteuid() != 0:
            return None
        import pwd  # noqa: PLC0415 - Unix only, like the rest of the harness
        try:
            pw = pwd.getpwnam(self.USER)
        except KeyError:
            raise HarnessError("no %r user: install Debian's ejabberd" % self.USER) from None
        return pw.pw_uid, pw.pw_gid

    def _chown(self):
        """Give the whole private directory to the ejabberd user (as root)."""
        ids = self._ids()
        if ids is None:
            return
        for root, dirs, files in os.walk(self.tmp.path):
            os.chown(root, *ids)
            for name in dirs + files:
                os.lchown(os.path.join(root, name), *ids)

    def _as_user(self):
        """argv prefix that runs a command as the ejabberd user (when root)."""
        if self._ids() is None:
            return []
        return [_SETPRIV or "setpriv", "--reuid", self.USER, "--regid", self.USER,
                "--init-groups"]

    def _env(self):
        env = dict(os.environ)
        env["HOME"] = self.tmp.path  # the Erlang cookie is $HOME/.erlang.cookie
        return env

    # -- process ----------------------------------------------------------------

    @property
    def running(self):
        """True while the BEAM process is alive."""
        return self.proc is not None and self.proc.poll() is None

    def erl_libs(self):
        """Where the ejabberd application lives: ejabberdctl's own ERL_LIBS
        (Debian: /usr/lib/<multiarch triplet>)."""
        default = "/usr/lib/x86_64-linux-gnu"
        try:
            with open(shutil.which(self.EJABBERDCTL) or "", encoding="utf-8") as f:
                for line in f:
                    if line.startswith("ERL_LIBS="):
                        return line.split("=", 1)[1].strip().strip("'\"") or default
        except OSError:
            pass
        return default

    def _erl_argv(self):
        """What ``ejabberdctl foreground`` runs (ejabberd 23.01), with our paths."""
        return [self.ERL, "-sname", self.node,
                "+K", "true", "+P", "250000",
                "-env", "ERL_CRASH_DUMP_BYTES", "0",
                "-kernel", "inet_dist_use_interface", "{127,0,0,1}",
                "-erl_epmd_port", str(self.dist_port), "-start_epmd", "false",
                "-mnesia", "dir", '"%s"' % self.spool_dir,
                "-s", "ejabberd", "-noinput"]

    def start(self, timeout=None):
        """Start the node; return when ejabberd says it is running and both
        ports accept TCP; then create the accounts queued while it was down."""
        timeout = max(timeout or 0, self.START_TIMEOUT)
        if self.running:
            raise HarnessError("ejabberd already running (pid %d)" % self.proc.pid)
        self._chown()
        env = self._env()
        env.update({
            "EJABBERD_CONFIG_PATH": self.config_path,
            "EJABBERD_LOG_PATH": self.log_path,
            "ERL_CRASH_DUMP": os.path.join(self.logs_dir, "erl_crash.dump"),
            "ERL_INETRC": self.tmp.join("inetrc"),
            "ERL_DIST_PORT": str(self.dist_port),
            "ERL_LIBS": self.erl_libs(),
            "ERL_MAX_PORTS": "32000",
            "ERL_MAX_ETS_TABLES": "1400",
        })
        prefix = self._as_user()
        if prefix:
            # A change of uid clears PR_SET_PDEATHSIG: this setpriv sets it after.
            prefix += ["--pdeathsig", "KILL", "--"]
        else:
            prefix = list(PDEATHSIG_PREFIX)
        log_offset = len(read_text(self.log_path))
        with open(self.out_path, "ab") as out:
            self.proc = subprocess.Popen(
                prefix + self._erl_argv(), stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True, env=env,
                cwd=self.spool_dir)
        _track(self.proc)

        def ready():
            if self.proc.poll() is not None:
                raise HarnessError("ejabberd exited with code %s during start-up\n%s"
                                   % (self.proc.returncode, self.log_tail()))
            # The ports listen before the modules are up: ejabberd_app logs
            # this line once everything is started (when `ejabberdctl status`
            # starts saying "running"; polling that costs an erl VM a try).
            return (self.STARTED_MARKER in read_text(self.log_path)[log_offset:]
                    and tcp_accepts(self.c2s_port) and tcp_accepts(self.component_port))

        try:
            wait_until(ready, timeout, "ejabberd node %s to run (ports %d/%d)"
                       % (self.node, self.c2s_port, self.component_port), interval=0.1)
            pending, self._pending_accounts = self._pending_accounts, []
            self._setup_accounts(pending)
        except HarnessError as e:
            self.stop()
            raise HarnessError("%s\n--- ejabberd log tail ---\n%s" % (e, self.log_tail())) from None
        return self

    def stop(self, timeout=DEFAULT_TIMEOUT):
        """Stop the node cleanly; return its exit code.

        ejabberd is stopped (it closes every c2s and component stream), then
        Mnesia (its tables are closed and flushed), then the VM halts: what
        SIGTERM (init:stop) does, less the second the VM spends in init:stop
        after that. If the node does not answer, SIGTERM by pid, SIGKILL
        after ``timeout``."""
        if self.proc is None:
            return None
        if self.running:
            try:
                self.rpc_eval("rpc:call(N, application, stop, [ejabberd]), "
                              "rpc:call(N, mnesia, stop, []), "
                              "rpc:call(N, erlang, halt, [0]), halt(0).", timeout=timeout)
                self.proc.wait(timeout=scaled(timeout))
            except (HarnessError, subprocess.TimeoutExpired):
                pass
        return terminate_process(self.proc, max(timeout, 20.0))

    def kill(self, sig=signal.SIGKILL, timeout=DEFAULT_TIMEOUT):
        """Kill the node by pid with ``sig`` (default SIGKILL); return its exit code."""
        return terminate_process(self.proc, timeout, sig)

    def restart(self, timeout=None):
        """Stop and start again on the same ports, node name and spool."""
        self.stop()
        return self.start(timeout)

    # -- ejabberdctl -------------------------------------------------------------

    def ctl_argv(self, *args):
        """argv of ``ejabberdctl`` for this node."""
        return self._as_user() + ([] if not self._as_user() else ["--"]) + [
            self.EJABBERDCTL, "--config-dir", self.config_dir, "--spool", self.spool_dir,
            "--logs", self.logs_dir] + list(args)

    def _ctl_run(self, args, timeout):
        try:
            return subprocess.run(self.ctl_argv(*args), stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=timeout,
                                  env=self._env(), cwd=self.spool_dir)
        except subprocess.TimeoutExpired as e:
            raise HarnessError("ejabberdctl %s timed out after %s s" % (args[0], timeout)) from e

    def ejabberdctl(self, *args, timeout=DEFAULT_TIMEOUT):
        """Run ``ejabberdctl ARGS`` against this node; raise with its output on failure."""
        res = self._ctl_run(args, timeout)
        if res.returncode != 0:
            raise HarnessError("ejabberdctl %s failed (%d): %s%s"
                               % (" ".join(args[:1]), res.returncode, res.stdout, res.stderr))
        return res.stdout

    @staticmethod
    def _erl_binary(text):
        """An Erlang binary literal holding ``text`` as UTF-8 (no escaping needed)."""
        return "<<%s>>" % ",".join(str(b) for b in str(text).encode("utf-8"))

    def rpc_eval(self, expr, timeout=DEFAULT_TIMEOUT):
        """Evaluate the Erlang expression ``expr`` in a hidden client node
        connected to this node (bound to ``N``), the way ``ejabberdctl``
        connects: same cookie, no epmd, no listening socket. The expression
        must end by calling halt/1; a non-zero exit raises with its output."""
        argv = self._as_user() + (["--"] if self._as_user() else []) + [
            self.ERL, "-sname", "ctl%s-%s" % (uuid.uuid4().hex[:6], self.node),
            "-hidden", "-noinput",
            "-kernel", "inet_dist_use_interface", "{127,0,0,1}",
            "-erl_epmd_port", str(self.dist_port), "-start_epmd", "false",
            "-dist_listen", "false",
            "-eval", "N = '%s', %s" % (self.node, expr)]
        env = self._env()
        env["ERL_INETRC"] = self.tmp.join("inetrc")
        try:
            res = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                 text=True, timeout=timeout, env=env, cwd=self.spool_dir)
        except subprocess.TimeoutExpired as e:
            raise HarnessError("erl rpc to %s timed out after %s s" % (self.node, timeout)) from e
        if res.returncode != 0:
            raise HarnessError("erl rpc to %s failed (%d): %s%s"
                               % (self.node, res.returncode, res.stdout, res.stderr))
        return res.stdout

    def _setup_accounts(self, accounts, timeout=DEFAULT_TIMEOUT):
        """Create (or reset the password of) ``accounts`` [(user, password)]
        in one client VM (each ``ejabberdctl register`` costs one), then
        flush them to disk.

        ejabberd keeps accounts in Mnesia's disc_only (dets) ``passwd``
        table, whose writes sit in a cache for up to a few seconds: an
        account created just before a SIGKILL of the node (test_faults kills
        the server mid-traffic) would be gone after the restart. dets:sync
        makes it durable, as ``prosodyctl register`` is."""
        if not accounts:
            return
        body = ["H = %s" % self._erl_binary(self.HOST)]
        body.append(
            "Reg = fun(U, P) -> case rpc:call(N, ejabberd_auth, try_register, [U, H, P]) of "
            "ok -> ok; {error, exists} -> rpc:call(N, ejabberd_auth, set_password, [U, H, P]); "
            "E -> E end end")
        body.append("Rs = [{U, Reg(U, P)} || {U, P} <- [%s]]" % ", ".join(
            "{%s, %s}" % (self._erl_binary(u), self._erl_binary(p)) for u, p in accounts))
        body.append("Sync = rpc:call(N, dets, sync, [passwd])")
        body.append("Bad = [X || {_, R} = X <- [{sync, Sync} | Rs], R =/= ok]")
        body.append("case Bad of [] -> halt(0); _ -> io:format(\"~p~n\", [Bad]), halt(1) end.")
        self.rpc_eval(", ".join(body), timeout)

    def register(self, user, password, timeout=DEFAULT_TIMEOUT):
        """Create the account user@localhost, or set its password if it
        exists (like ``prosodyctl register``): now if the node runs, else at
        the next :meth:`start`."""
        if self.running:
            self._setup_accounts([(user, password)], timeout=timeout)
        else:
            self._pending_accounts.append((user, password))
        return "%s@%s" % (user, self.HOST)

    # -- logs, clean-up ----------------------------------------------------------

    def log_tail(self, lines=40):
        """The last lines of ejabberd's log (and error log, and stdout/stderr)."""
        text = tail(read_text(self.log_path), lines)
        for title, path in (("error.log", self.error_log_path),
                            ("stdout/stderr", self.out_path)):
            extra = read_text(path).strip()
            if extra:
                text += "\n--- ejabberd %s ---\n%s" % (title, tail(extra, lines))
        return text



# ---------------------------------------------------------------------------
# Server choice
# ---------------------------------------------------------------------------

SERVER_CLASSES = {"prosody": Prosody, "ejabberd": Ejabberd}


def server_kind():
    """The XMPP server the suite runs against: env MUCD_TEST_SERVER
    (``prosody``, the default, or ``ejabberd``)."""
    kind = (os.environ.get("MUCD_TEST_SERVER", "") or "prosody").strip().lower()
    if kind not in SERVER_CLASSES:
        raise HarnessError("MUCD_TEST_SERVER=%r: expected one of %s"
                           % (kind, ", ".join(sorted(SERVER_CLASSES))))
    return kind


def server_class():
    """:class:`Prosody` or :class:`Ejabberd`, as chosen by MUCD_TEST_SERVER."""
    return SERVER_CLASSES[server_kind()]


def Server(*args, **kwargs):  # noqa: N802 - reads like the classes it stands for
    """A new (not yet started) server of the kind chosen by MUCD_TEST_SERVER."""
    return server_class()(*args, **kwargs)


SERVER_KIND = server_kind()
ON_EJABBERD = SERVER_KIND == "ejabberd"


# ---------------------------------------------------------------------------
# mucd
# ---------------------------------------------------------------------------

def render_ini(sections):
    """INI text from ``{section: {key: value}}`` (``None`` values are omitted)."""
    out = []
    for section, keys in sections.items():
        out.append("[%s]" % section)
        out += ["%s = %s" % (k, v) for k, v in keys.items() if v is not None]
        out.append("")
    return "\n".join(out)


def merge_sections(base, overrides):
    """Deep-merge ``{section: {key: value}}`` dicts; a ``None`` value removes a key."""
    merged = {s: dict(keys) for s, keys in base.items()}
    for section, keys in (overrides or {}).items():
        target = merged.setdefault(section, {})
        for key, value in keys.items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value
    return merged


class Mucd:
    """One mucd process attached to a :class:`Prosody` as an external component.

    :param prosody: the server (its component port and secret are used)
    :param domain: the component domain to serve
    :param name: ``[muc] name`` (the disco#info identity name)
    :param secret: override the secret (e.g. a wrong one)
    :param port: override the component port (default: Prosody's)
    :param store_path: LMDB directory (default: ``<tmp>/store``); pass another
                       instance's :attr:`store_path` to reuse its store
    :param config: ``{section: {key: value}}`` merged over the defaults;
                   ``None`` as a value removes that key
    :param binary: the mucd executable (default :func:`mucd_binary`)
    """

    def __init__(self, prosody, domain=Prosody.DEFAULT_COMPONENT, name="Chatrooms",
                 secret=None, port=None, store_path=None, config=None, binary=None):
        self.prosody = prosody
        self.domain = domain
        self.binary = binary or mucd_binary()
        self.tmp = TempDir("mucd-it-mucd-")
        self.config_path = self.tmp.join("mucd.conf")
        self.log_path = self.tmp.join("mucd.log")
        self.store_path = store_path or self.tmp.join("store")
        self.proc = None
        defaults = {
            "component": {
                "server": LOOPBACK,
                "port": port if port is not None else prosody.component_port,
                "domain": domain,
                "secret": secret if secret is not None else prosody.secret(domain),
                "reconnect_max": 30,
            },
            "storage": {"path": self.store_path},
            "muc": {"name": name},
            "log": {"level": "debug"},
        }
        self.config = merge_sections(defaults, config)
        self.write_config()

    def write_config(self):
        """(Re)write the INI file from :attr:`config`."""
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(render_ini(self.config))

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    @property
    def running(self):
        """True while the mucd process is alive."""
        return self.proc is not None and self.proc.poll() is None

    def start(self, wait_connected=True, timeout=DEFAULT_TIMEOUT):
        """Spawn ``mucd -c FILE``; optionally wait for ``component: connected``."""
        if not os.access(self.binary, os.X_OK):
            raise HarnessError("mucd binary not found or not executable: %s "
                               "(build it or set MUCD_BIN)" % self.binary)
        if self.running:
            raise HarnessError("mucd already running (pid %d)" % self.proc.pid)
        offset = self.log_offset()
        self.proc = spawn(mucd_wrapper() + [self.binary, "-c", self.config_path],
                          self.log_path)
        if wait_connected:
            self.wait_log(CONNECTED_MARKER, timeout, offset=offset)
        return self

    def log_text(self):
        """Everything mucd has written so far."""
        return read_text(self.log_path)

    def log_offset(self):
        """Current length of the log, to wait for lines written after now."""
        return len(self.log_text())

    def wait_log(self, substring, timeout=DEFAULT_TIMEOUT, offset=0):
        """Wait until ``substring`` appears in the log at or after ``offset``.

        Returns the offset just past the match (to chain waits). Raises
        :class:`HarnessError` with the log tail on timeout or if mucd exits
        without having written it.
        """
        def found():
            pos = self.log_text().find(substring, offset)
            if pos >= 0:
                return pos + len(substring)
            if not self.running:
                # Re-read once: the line may have been written just before exit.
                pos = self.log_text().find(substring, offset)
                if pos >= 0:
                    return pos + len(substring)
                raise HarnessError("mucd exited (code %s) before logging %r\n%s"
                                   % (self.proc and self.proc.returncode, substring,
                                      self.log_tail()))
            return None

        try:
            return wait_until(found, timeout, "mucd to log %r" % substring)
        except HarnessError as e:
            if "timed out" in str(e):
                raise HarnessError("%s\n--- mucd log tail ---\n%s" % (e, self.log_tail())) from None
            raise

    def log_tail(self, lines=40):
        """The last lines of mucd's log."""
        return tail(self.log_text(), lines)

    SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                         "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer")

    def sanitizer_reports(self):
        """Log lines in which ASan/LSan/UBSan reported a problem (sanitized builds)."""
        return [line for line in self.log_text().splitlines()
                if any(m in line for m in self.SANITIZER_MARKERS)]

    def signal(self, sig):
        """Send ``sig`` to mucd by pid."""
        os.kill(self.proc.pid, sig)

    def wait_exit(self, timeout=DEFAULT_TIMEOUT):
        """Wait for mucd to exit on its own; return the exit code.

        Raises :class:`HarnessError` (mucd keeps running) on timeout.
        """
        timeout = scaled(timeout)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise HarnessError("mucd (pid %d) still running after %.1f s\n%s"
                               % (self.proc.pid, timeout, self.log_tail())) from None
        _untrack(self.proc)
        return code

    def stop(self, timeout=DEFAULT_TIMEOUT):
        """SIGTERM mucd by pid (SIGKILL after ``timeout``); return its exit code."""
        if self.proc is None:
            return None
        return terminate_process(self.proc, scaled(timeout))

    def cleanup(self, keep=False):
        """Stop mucd and remove (or keep) its temporary directory."""
        self.stop()
        self.tmp.cleanup(keep)


# ---------------------------------------------------------------------------
# XMPP client (slixmpp on a shared background event loop)
# ---------------------------------------------------------------------------

class EventLoopThread:
    """One asyncio event loop running in a daemon thread, shared by all clients.

    slixmpp is not thread-safe: every interaction with a client goes through
    :meth:`call` (run a coroutine/function in the loop, bounded wait).
    """

    _instance = None
    _lock = threading.Lock()

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="slixmpp-loop", daemon=True)
        self.thread.start()

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    @classmethod
    def get(cls):
        """The shared loop thread, started on first use (stopped at exit)."""
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
                atexit.register(cls._instance.shutdown)
            return cls._instance

    def shutdown(self, timeout=3.0):
        """Cancel what is still pending in the loop and stop it (bounded)."""
        async def cancel_all():
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.wait(tasks, timeout=timeout) if tasks else None

        if not self.thread.is_alive():
            return
        try:
            asyncio.run_coroutine_threadsafe(cancel_all(), self.loop).result(timeout + 1)
        except Exception:  # noqa: BLE001 - best effort at exit
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout)

    def call(self, fn, *args, timeout=DEFAULT_TIMEOUT):
        """Run ``fn(*args)`` inside the loop (awaiting it if it is a coroutine)."""
        async def runner():
            result = fn(*args)
            if asyncio.iscoroutine(result):
                result = await result
            return result

        fut = asyncio.run_coroutine_threadsafe(runner(), self.loop)
        try:
            return fut.result(timeout)
        except TimeoutError:
            fut.cancel()
            raise HarnessError("event loop call %s timed out after %s s"
                               % (getattr(fn, "__name__", fn), timeout)) from None


_id_counter = itertools.count(1)


def new_id(prefix="it"):
    """A fresh, unique stanza id."""
    return "%s-%d-%s" % (prefix, next(_id_counter), uuid.uuid4().hex[:8])


def split_tag(tag):
    """``(namespace, localname)`` of an ElementTree tag like ``{ns}name``."""
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return None, tag


def stanza_xml(stanza):
    """The ElementTree element of a slixmpp stanza (or an element as is)."""
    return stanza.xml if hasattr(stanza, "xml") else stanza


def stanza_kind(stanza):
    """'iq', 'message' or 'presence' for a received stanza."""
    return split_tag(stanza_xml(stanza).tag)[1]


def error_of(stanza):
    """``(error type, condition, condition namespace, text)`` of an error stanza.

    Looks at ``<error/>`` in the stanza's own namespace; returns None if the
    stanza carries no error element.
    """
    el = stanza_xml(stanza)
    ns = split_tag(el.tag)[0]
    err = el.find("{%s}error" % ns) if ns else el.find("error")
    if err is None:
        return None
    condition = cond_ns = text = None
    for child in err:
        child_ns, local = split_tag(child.tag)
        if child_ns == NS_STANZAS and local == "text":
            text = child.text
        elif condition is None:
            condition, cond_ns = local, child_ns
    return err.get("type"), condition, cond_ns, text


def q(ns, name):
    """Clark-notation tag ``{ns}name``."""
    return "{%s}%s" % (ns, name)


def attr(st, name):
    """An attribute of a received stanza (None if absent)."""
    return stanza_xml(st).get(name)


def bare(jid):
    """The bare JID of ``jid`` ('' for None)."""
    return (jid or "").split("/", 1)[0]


def show(st):
    """Stanzas (a list: one a line) or one stanza as text, for failure messages."""
    if isinstance(st, list):
        return "\n".join(str(s) for s in st) or "(nothing)"
    return str(st)


class Client:
    """A synchronous facade over one ``slixmpp.ClientXMPP`` session.

    All received ``message``/``presence``/``iq`` stanzas (copies) are queued;
    :meth:`wait_for` takes the first one matching a predicate. Several
    clients can be used at once (they share one background loop).
    """

    def __init__(self, jid, password, port, host=LOOPBACK, timeout=DEFAULT_TIMEOUT,
                 plugins=()):
        self.jid = jid
        self.address = (host, port)
        self.timeout = timeout
        self.runner = EventLoopThread.get()
        self._inbox = []
        self._cond = threading.Condition()
        self._started = threading.Event()
        self._ended = threading.Event()
        self._failure = None
        self.xmpp = self.runner.call(self._build, jid, password, plugins, timeout=timeout)

    # -- set-up (runs in the loop thread) ---------------------------------

    def _build(self, jid, password, plugins):
        xmpp = slixmpp.ClientXMPP(jid, password)
        # Plain-text c2s on loopback: allow SASL PLAIN without TLS (slixmpp
        # refuses it by default; SCRAM is allowed unencrypted already).
        xmpp["feature_mechanisms"].unencrypted_plain = True
        for plugin in plugins:
            xmpp.register_plugin(plugin)
        xmpp.add_filter("in", self._capture)
        xmpp.add_event_handler("session_start", lambda _e: self._started.set())
        xmpp.add_event_handler("failed_auth", lambda _e: self._fail("authentication failed"))
        xmpp.add_event_handler("connection_failed", lambda e: self._fail("connection failed: %s" % e))
        xmpp.add_event_handler("disconnected", self._on_disconnected)
        return xmpp

    def _fail(self, reason):
        if self._failure is None:
            self._failure = reason
        self._ended.set()

    def _on_disconnected(self, _event):
        if not self._started.is_set():
            self._fail("disconnected before session start")
        self._ended.set()

    def _capture(self, stanza):
        """Incoming filter: queue a copy of every message/presence/iq."""
        if stanza_kind(stanza) in ("iq", "message", "presence"):
            with self._cond:
                self._inbox.append(copy.copy(stanza))
                self._cond.notify_all()
        return stanza

    # -- public API ---------------------------------------------------------

    @property
    def full_jid(self):
        """The bound full JID (valid after :meth:`connect`)."""
        return str(self.xmpp.boundjid)

    def connect(self, timeout=None):
        """Connect without TLS and wait for session start (raise on failure)."""
        timeout = timeout or self.timeout
        self.runner.call(self.xmpp.connect, self.address, False, False, True)
        deadline = time.monotonic() + timeout
        while not self._started.is_set() and not self._failure:
            if time.monotonic() >= deadline:
                self._abort()
                raise HarnessError("client %s: no session within %.1f s" % (self.jid, timeout))
            self._started.wait(0.05)
        if not self._started.is_set():
            self._abort()
            raise HarnessError("client %s: %s" % (self.jid, self._failure))
        return self

    def send_raw(self, data):
        """Send raw XML text (or a stanza/element) on the stream as is."""
        if not isinstance(data, (str, bytes)):
            data = slix_tostring(stanza_xml(data))
        self.runner.call(self.xmpp.send_raw, data, timeout=self.timeout)

    def send_iq_raw(self, xml, timeout=None):
        """Send an IQ (XML text or element) and return the reply stanza.

        An ``id`` is added when missing. The reply (``result`` or ``error``,
        same id) is returned as a slixmpp stanza; errors are returned, not
        raised. Raises :class:`HarnessError` if no reply comes in ``timeout``.
        """
        el = ET.fromstring(xml) if isinstance(xml, (str, bytes)) else copy.deepcopy(stanza_xml(xml))
        if split_tag(el.tag)[1] != "iq":
            raise ValueError("send_iq_raw needs an <iq/>, got <%s/>" % el.tag)
        if not el.get("id"):
            el.set("id", new_id())
        iq_id = el.get("id")
        self.send_raw(slix_tostring(el))
        return self.wait_for(
            lambda st: stanza_kind(st) == "iq" and st.xml.get("id") == iq_id
            and st.xml.get("type") in ("result", "error"),
            timeout, "reply to iq id=%s" % iq_id)

    def wait_for(self, predicate, timeout=None, what="a matching stanza"):
        """Remove and return the first queued stanza for which ``predicate`` is true.

        Waits up to ``timeout`` seconds for it to arrive; raises
        :class:`HarnessError` (listing what did arrive) otherwise.
        """
        timeout = scaled(timeout or self.timeout)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i, st in enumerate(self._inbox):
                    if predicate(st):
                        return self._inbox.pop(i)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = "\n".join(str(s) for s in self._inbox[-10:]) or "(nothing)"
                    raise HarnessError("client %s: timed out after %.1f s waiting for %s; "
                                       "queued:\n%s" % (self.jid, timeout, what, seen))
                self._cond.wait(remaining)

    def received(self, predicate=lambda st: True):
        """Queued stanzas matching ``predicate`` (left in the queue)."""
        with self._cond:
            return [st for st in self._inbox if predicate(st)]

    def drain(self):
        """Empty the queue; return what was in it."""
        with self._cond:
            items, self._inbox = self._inbox, []
            return items

    @property
    def connected(self):
        """True while the session is up."""
        return self._started.is_set() and not self._ended.is_set()

    def _abort(self):
        try:
            self.runner.call(self.xmpp.abort, timeout=self.timeout)
        except Exception:  # noqa: BLE001 - already broken; best effort
            pass

    async def _finish_tasks(self):
        """Cancel and reap slixmpp's outgoing-filter task (else asyncio warns
        "Task was destroyed but it is pending" when the client is collected)."""
        task = getattr(self.xmpp, "_run_out_filters", None)
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task], timeout=1.0)

    def disconnect(self, timeout=None):
        """Close the stream (bounded); abort the connection if it lingers.

        Safe to call more than once and on a client that never connected.
        """
        timeout = timeout or self.timeout
        if self._started.is_set() and not self._ended.is_set():
            self.runner.call(self.xmpp.disconnect, 1.0, timeout=timeout)
            if not self._ended.wait(timeout):
                self._abort()
        else:
            self._abort()
        try:
            self.runner.call(self._finish_tasks, timeout=timeout)
        except HarnessError:
            pass


# ---------------------------------------------------------------------------
# unittest base class
# ---------------------------------------------------------------------------

class LiveTestCase(unittest.TestCase):
    """Base class for live tests: starts servers/clients and always cleans up.

    Processes are stopped by pid in cleanups; temporary directories are
    removed after the test only if it passed (and MUCD_KEEP_TMP != 1),
    otherwise their paths and the mucd log tail are printed.
    """

    timeout = DEFAULT_TIMEOUT
    _user_counter = itertools.count(1)

    def run(self, result=None):
        if result is None:
            result = self.defaultTestResult()
        self._tmp_owners = []
        bad_before = self._bad_count(result)
        try:
            return super().run(result)
        finally:
            failed = self._bad_count(result) > bad_before
            for owner in self._tmp_owners:
                if failed and isinstance(owner, Mucd):
                    print("\n--- %s: mucd log tail (%s) ---\n%s"
                          % (self.id(), owner.log_path, owner.log_tail(30)), file=sys.stderr)
                owner.tmp.cleanup(keep=failed)

    @staticmethod
    def _bad_count(result):
        return (len(result.failures) + len(result.errors)
                + len(getattr(result, "unexpectedSuccesses", ())))

    def new_prosody(self, start=True, **kwargs):
        """A server of the kind chosen by MUCD_TEST_SERVER (:class:`Prosody` by
        default, or :class:`Ejabberd`), started unless ``start=False``,
        stopped at cleanup. (The name is kept from when Prosody was the only
        server.)"""
        prosody = Server(**kwargs)
        self._tmp_owners.append(prosody)
        self.addCleanup(prosody.stop)
        if start:
            prosody.start(self.timeout)
        return prosody

    def new_mucd(self, prosody, start=True, wait_connected=True, **kwargs):
        """A :class:`Mucd` for ``prosody`` (started unless ``start=False``), stopped at cleanup."""
        mucd = Mucd(prosody, **kwargs)
        self._tmp_owners.append(mucd)
        self.addCleanup(self.assert_no_sanitizer_reports, mucd)  # runs after stop
        self.addCleanup(mucd.stop)
        if start:
            mucd.start(wait_connected=wait_connected, timeout=self.timeout)
        return mucd

    def assert_no_sanitizer_reports(self, mucd):
        """Fail if a sanitized mucd reported memory errors, leaks or UB."""
        reports = mucd.sanitizer_reports()
        if reports:
            self.fail("mucd sanitizer reports:\n%s\n%s" % ("\n".join(reports[:10]),
                                                          mucd.log_tail(60)))

    def new_client(self, prosody, user=None, password="secret-pw", register=True,
                   resource="it", **kwargs):
        """A :class:`Client` logged in to ``prosody`` (a fresh account by default).

        Use distinct ``resource`` values for several sessions of one account.
        """
        user = user or "user%d" % next(self._user_counter)
        if register:
            prosody.register(user, password)
        client = Client("%s@%s/%s" % (user, Prosody.HOST, resource), password, prosody.c2s_port,
                        timeout=self.timeout, **kwargs)
        self.addCleanup(client.disconnect)
        client.connect()
        return client
