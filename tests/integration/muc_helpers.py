"""What the MUC integration suites share (test_muc_core, test_muc_admin,
test_persistence): namespaces, predicates and readers for the stanzas the
clients receive, waiting for a burst of them, and a test case base that runs
one Prosody and one mucd for a whole class.
"""

import sys
from xml.sax.saxutils import quoteattr

from harness import (
    NS_CLIENT, NS_DISCO_INFO, NS_MUC, NS_STANZAS, HarnessError, LiveTestCase, Mucd, Server,
    attr, bare, error_of, new_id, q, show, stanza_kind, stanza_xml, tail, wait_until,
)

DOMAIN = "chat.localhost"
USERS = ("alice", "bob", "carol", "dave", "erin")

NS_MUC_USER = NS_MUC + "#user"
NS_MUC_OWNER = NS_MUC + "#owner"
NS_MUC_ADMIN = NS_MUC + "#admin"
NS_DATA = "jabber:x:data"
NS_ROOMCONFIG = NS_MUC + "#roomconfig"


# ---------------------------------------------------------------------------
# Reading received stanzas
# ---------------------------------------------------------------------------

def from_room(room):
    """Predicate: the stanza comes from ``room`` or one of its occupants."""
    return lambda st: bare(attr(st, "from")) == room


def is_presence(st, frm=None, ptype=None):
    return (stanza_kind(st) == "presence" and (frm is None or attr(st, "from") == frm)
            and attr(st, "type") == ptype)


def is_message(st, frm=None, mtype="groupchat"):
    return (stanza_kind(st) == "message" and (frm is None or attr(st, "from") == frm)
            and attr(st, "type") == mtype)


def is_error(st, kind, frm):
    return stanza_kind(st) == kind and attr(st, "type") == "error" and attr(st, "from") == frm


def body_of(st):
    return stanza_xml(st).findtext(q(NS_CLIENT, "body"))


def subject_el(st):
    """The <subject/> element of a message (None if it has none)."""
    return stanza_xml(st).find(q(NS_CLIENT, "subject"))


def is_subject(st, room=None):
    """A subject message of ``room``: groupchat, <subject/>, no <body/>."""
    return (stanza_kind(st) == "message" and attr(st, "type") == "groupchat"
            and subject_el(st) is not None and body_of(st) is None
            and (room is None or bare(attr(st, "from")) == room))


def muc_x(st):
    return stanza_xml(st).find(q(NS_MUC_USER, "x"))


def muc_item_el(st):
    x = muc_x(st)
    return x.find(q(NS_MUC_USER, "item")) if x is not None else None


def muc_item(st):
    """The attributes of <x xmlns=muc#user><item/></x> (a dict; {} if none)."""
    item = muc_item_el(st)
    return dict(item.attrib) if item is not None else {}


def status_codes(st):
    x = muc_x(st)
    if x is None:
        return []
    return sorted(int(s.get("code")) for s in x.findall(q(NS_MUC_USER, "status")))


# ---------------------------------------------------------------------------
# Waiting for stanzas
# ---------------------------------------------------------------------------

class BurstWaits:
    """Mixin for a :class:`LiveTestCase` whose clients receive bursts."""

    def take_through(self, client, end, what, relevant=lambda st: True, timeout=None):
        """Wait until a stanza matching ``end`` is queued; remove and return,
        in arrival order, the ``relevant`` stanzas queued up to and including it."""
        timeout = timeout or self.timeout

        def ready():
            items = client.received(relevant)
            for i, st in enumerate(items):
                if end(st):
                    return items[:i + 1]
            return None

        try:
            burst = wait_until(ready, timeout, what)
        except HarnessError as e:
            raise HarnessError("client %s: %s; queued:\n%s"
                               % (client.full_jid, e, show(client.received()[-15:]))) from None
        for st in burst:
            client.wait_for(lambda s, st=st: s is st, 1.0)
        return burst


# ---------------------------------------------------------------------------
# One Prosody + mucd per class
# ---------------------------------------------------------------------------

class SharedStackBase(BurstWaits, LiveTestCase):
    """Starts one Prosody and one mucd for the whole class and registers
    :data:`USERS` (with :attr:`password`) once; every test logs in fresh
    sessions and uses a room of its own."""

    password = None
    mucd_config = None
    failure_log_lines = 60  # of the mucd log printed for a failed test
    _class_failed = False
    _log_offset = 0
    _resource_counter = 0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._class_failed = False
        cls.prosody = Server()
        cls.mucd = None
        cls.addClassCleanup(cls._stop_stack)
        for user in USERS:
            cls.prosody.register(user, cls.password)
        cls.prosody.start()
        cls.mucd = Mucd(cls.prosody, config=cls.mucd_config)
        cls.mucd.start()

    @classmethod
    def _stop_stack(cls):
        reports = []
        if cls.mucd is not None:
            cls.mucd.stop()
            reports = cls.mucd.sanitizer_reports()
        cls.prosody.stop()
        keep = cls._class_failed or bool(reports)
        if cls.mucd is not None:
            cls.mucd.tmp.cleanup(keep)
        cls.prosody.tmp.cleanup(keep)
        if reports:
            raise AssertionError("mucd sanitizer reports:\n%s\n%s"
                                 % ("\n".join(reports[:10]), cls.mucd.log_tail(60)))

    def run(self, result=None):
        if result is None:
            result = self.defaultTestResult()
        bad_before = self._bad_count(result)
        try:
            return super().run(result)
        finally:
            if self._bad_count(result) > bad_before:
                cls = type(self)
                cls._class_failed = True
                mucd = getattr(cls, "mucd", None)
                if mucd is not None:
                    print("\n--- %s: mucd log since the test started (%s) ---\n%s"
                          % (self.id(), mucd.log_path,
                             tail(mucd.log_text()[self._log_offset:],
                                  self.failure_log_lines)), file=sys.stderr)

    def setUp(self):
        self.assertTrue(self.mucd.running, "mucd is not running:\n" + self.mucd.log_tail())
        self._log_offset = self.mucd.log_offset()
        self.addCleanup(self.assert_mucd_healthy)

    def assert_mucd_healthy(self):
        self.assertTrue(self.mucd.running, "mucd died:\n" + self.mucd.log_tail())
        self.assertEqual(self.mucd.sanitizer_reports(), [], self.mucd.log_tail(60))

    def room(self, suffix=""):
        """A room JID of this test's own."""
        name = self._testMethodName.lower().replace("_", "-")
        return "%s%s@%s" % (name, suffix, DOMAIN)

    # -- waiting ------------------------------------------------------------

    def wait(self, client, pred, what, timeout=None):
        return client.wait_for(pred, timeout or self.timeout, what)

    def assert_nothing(self, client, pred, what):
        got = client.received(pred)
        self.assertEqual(got, [], "%s unexpectedly got %s:\n%s" % (client.full_jid, what,
                                                                   show(got)))

    # -- entering -----------------------------------------------------------

    def send_join(self, client, room, nick, x_payload=""):
        client.send_raw("<presence to=%s><x xmlns='%s'>%s</x></presence>"
                        % (quoteattr("%s/%s" % (room, nick)), NS_MUC, x_payload))

    def join(self, client, room, nick, x_payload=""):
        """Enter ``room`` as ``nick``; return the join burst (the occupants'
        presences, the own presence, history, subject), asserting no error."""
        self.send_join(client, room, nick, x_payload)
        me = "%s/%s" % (room, nick)
        burst = self.take_through(
            client, lambda st: is_subject(st, room) or is_error(st, "presence", me),
            "%s to enter %s" % (client.jid, me), relevant=from_room(room))
        last = burst[-1]
        self.assertFalse(is_error(last, "presence", me), "entering %s failed: %s" % (me, last))
        return burst

    def join_error(self, client, room, nick, x_payload=""):
        """Try to enter; return the presence error (asserting its addressing)."""
        self.send_join(client, room, nick, x_payload)
        me = "%s/%s" % (room, nick)
        st = self.wait(client, lambda s: is_presence(s, me, "error") or is_presence(s, me),
                       "an answer to entering %s" % me)
        self.assertEqual(attr(st, "type"), "error", "entering %s should fail: %s" % (me, st))
        self.assertEqual(attr(st, "to"), client.full_jid, str(st))
        return st

    # -- errors, disco, messages ----------------------------------------------

    def assert_stanza_error(self, st, err_type, condition):
        err = error_of(st)
        self.assertIsNotNone(err, "no <error/> in %s" % st)
        self.assertEqual(err[:3], (err_type, condition, NS_STANZAS), str(st))
        return err

    def disco_info(self, client, jid):
        return client.send_iq_raw("<iq type='get' to='%s' id='%s'><query xmlns='%s'/></iq>"
                                  % (jid, new_id("info"), NS_DISCO_INFO))

    def wait_groupchat(self, client, frm, msg_id):
        return self.wait(client, lambda s: is_message(s, frm) and attr(s, "id") == msg_id,
                         "groupchat id=%s from %s" % (msg_id, frm))
