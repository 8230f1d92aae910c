"""The MUC core of mucd (XEP-0045 §7, §10.1), end to end with real clients.

One private Prosody and one mucd serve every test of a class (started in
``setUpClass``); each test logs in its own sessions of the pre-registered
accounts alice, bob, carol, dave and erin (a fresh resource per test) and
uses a room of its own, so the tests do not depend on each other. Stanzas go
client -> Prosody (c2s) -> mucd (XEP-0114) -> Prosody -> client, and the
assertions are on the stanzas the clients actually receive.
"""

import calendar
import re
import time
import unittest
from xml.sax.saxutils import quoteattr

from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher.base import MatcherBase

from harness import (
    NS_CLIENT, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MUC, NS_VERSION, Prosody, attr, new_id, q, show,
    stanza_kind, stanza_xml, wait_until,
)
from muc_helpers import (
    DOMAIN, NS_DATA, NS_MUC_OWNER, SharedStackBase, body_of, from_room, is_error, is_message,
    is_presence, is_subject, muc_item, muc_x, status_codes, subject_el,
)

HOST = Prosody.HOST
PASSWORD = "muc-core-pw"

NS_DELAY = "urn:xmpp:delay"

# XEP-0045 status codes used below.
SELF, CREATED, NICK_CHANGED = 110, 201, 303

STAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


class _IqRequest(MatcherBase):
    """slixmpp matcher: any incoming iq get/set."""

    def match(self, xml):
        return xml.name == "iq" and xml["type"] in ("get", "set")


def hold_iq_requests(client):
    """Stop slixmpp from answering iq get/set no plugin handles (it would
    reply feature-not-implemented at once), so the test answers them."""
    client.runner.call(client.xmpp.register_handler,
                       Callback("it-hold-iq-requests", _IqRequest(None), lambda _st: None))


# ---------------------------------------------------------------------------
# One Prosody + mucd per class
# ---------------------------------------------------------------------------

class SharedStackTestCase(SharedStackBase):
    """:class:`SharedStackBase` with this suite's sessions and MUC actions."""

    password = PASSWORD

    # -- sessions -------------------------------------------------------------

    def login(self, user, resource=None):
        """A new logged-in session of ``user`` (pre-registered)."""
        cls = type(self)
        cls._resource_counter += 1
        resource = resource or "it%d" % cls._resource_counter
        return self.new_client(self.prosody, user=user, password=PASSWORD, register=False,
                               resource=resource)

    # -- MUC actions ----------------------------------------------------------

    def submit_instant(self, client, room):
        iq_id = new_id("instant")
        reply = client.send_iq_raw(
            "<iq type='set' to='%s' id='%s'><query xmlns='%s'>"
            "<x xmlns='%s' type='submit'/></query></iq>" % (room, iq_id, NS_MUC_OWNER, NS_DATA))
        self.assertEqual((attr(reply, "type"), attr(reply, "id"), attr(reply, "from"),
                          attr(reply, "to")),
                         ("result", iq_id, room, client.full_jid), str(reply))
        return reply

    def create_instant_room(self, client, room, nick):
        """Create ``room`` (as owner) and unlock it with an empty submit."""
        burst = self.join(client, room, nick)
        self.assertIn(CREATED, status_codes(burst[0]), show(burst))
        self.submit_instant(client, room)
        return burst

    def room_with(self, room, *users_nicks):
        """The first (user, nick) creates an instant ``room``, the others enter
        in order; every client's queue is left empty. Returns the clients."""
        clients = []
        for i, (user, nick) in enumerate(users_nicks):
            c = self.login(user)
            if i == 0:
                self.create_instant_room(c, room, nick)
            else:
                self.join(c, room, nick)
                for other in clients:  # the others see the newcomer
                    self.wait(other, lambda s, n=nick: is_presence(s, "%s/%s" % (room, n)),
                              "%s's presence" % nick)
            clients.append(c)
        for c in clients:
            c.drain()
        return clients

    def three(self, room):
        """alice (owner, 'Alice'), bob ('Bob') and carol ('Carol') in ``room``."""
        return self.room_with(room, ("alice", "Alice"), ("bob", "Bob"), ("carol", "Carol"))

    def groupchat(self, client, room, body, msg_id=None):
        msg_id = msg_id or new_id("gc")
        client.send_raw("<message type='groupchat' to='%s' id='%s'><body>%s</body></message>"
                        % (room, msg_id, body))
        return msg_id

    # -- assertions on presences -------------------------------------------

    def assert_occupant_presence(self, st, frm, to, affiliation, role, jid=None, codes=(),
                                 ptype=None):
        """``st`` is an occupant presence with exactly these attributes; ``jid``
        None means no jid attribute must be shown."""
        self.assertEqual(stanza_kind(st), "presence", str(st))
        self.assertEqual((attr(st, "from"), attr(st, "to"), attr(st, "type")),
                         (frm, to, ptype), str(st))
        item = muc_item(st)
        self.assertEqual(item.get("affiliation"), affiliation, str(st))
        self.assertEqual(item.get("role"), role, str(st))
        self.assertEqual(item.get("jid"), jid, "item jid: %s" % st)
        self.assertEqual(status_codes(st), sorted(codes), str(st))


class MucCoreTest(SharedStackTestCase):
    """XEP-0045 occupant use cases with the default service configuration."""

    # 1 ----------------------------------------------------------------------
    def test_instant_room_creation_and_lock(self):
        room = self.room()
        alice, bob, carol = self.login("alice"), self.login("bob"), self.login("carol")

        burst = self.join(alice, room, "Alice")
        self.assertEqual(len(burst), 2, "own presence then subject:\n" + show(burst))
        self.assert_occupant_presence(burst[0], room + "/Alice", alice.full_jid, "owner",
                                      "moderator", jid=alice.full_jid, codes=(SELF, CREATED))
        subject = burst[1]
        self.assertEqual((attr(subject, "from"), attr(subject, "to")), (room, alice.full_jid),
                         str(subject))
        self.assertFalse(subject_el(subject).text, "the subject is empty: %s" % subject)
        self.assertEqual(list(subject_el(subject)), [], str(subject))

        # Locked until the owner configures it.
        err = self.join_error(bob, room, "Bob")
        self.assertEqual(attr(err, "from"), room + "/Bob", str(err))
        self.assert_stanza_error(err, "cancel", "item-not-found")

        self.submit_instant(alice, room)

        burst = self.join(bob, room, "Bob")
        self.assertIn(SELF, status_codes(burst[-2]), show(burst))
        self.assertNotIn(CREATED, status_codes(burst[-2]), show(burst))
        burst = self.join(carol, room, "Carol")
        self.assertIn(SELF, status_codes(burst[-2]), show(burst))
        # Bob's refused attempt was never announced; his real entry was.
        pres = self.wait(alice, lambda s: is_presence(s, room + "/Bob"), "Bob's presence")
        self.assertEqual(muc_item(pres).get("role"), "participant", str(pres))
        self.assertEqual(alice.received(lambda s: is_presence(s, room + "/Bob", "error")), [])

    # 2 ----------------------------------------------------------------------
    def test_join_order_and_jid_visibility(self):
        room = self.room()
        alice = self.login("alice")
        self.create_instant_room(alice, room, "Alice")
        alice.drain()

        bob = self.login("bob")
        burst = self.join(bob, room, "Bob")
        self.assertEqual(len(burst), 3, "Alice, own presence, subject:\n" + show(burst))
        self.assert_occupant_presence(burst[0], room + "/Alice", bob.full_jid, "owner",
                                      "moderator", jid=None)
        own = burst[1]
        self.assertEqual((attr(own, "from"), attr(own, "to"), attr(own, "type")),
                         (room + "/Bob", bob.full_jid, None), str(own))
        self.assertEqual((muc_item(own).get("affiliation"), muc_item(own).get("role")),
                         ("none", "participant"), str(own))
        self.assertEqual(status_codes(own), [SELF], str(own))
        self.assertTrue(is_subject(burst[2], room), str(burst[2]))
        self.assertEqual(attr(burst[2], "from"), room, str(burst[2]))
        self.assertFalse(subject_el(burst[2]).text, str(burst[2]))

        # The moderator sees Bob's real JID.
        pres = self.wait(alice, lambda s: is_presence(s, room + "/Bob"), "Bob's presence")
        self.assert_occupant_presence(pres, room + "/Bob", alice.full_jid, "none",
                                      "participant", jid=bob.full_jid)

        carol = self.login("carol")
        burst = self.join(carol, room, "Carol")
        self.assertEqual([attr(s, "from") for s in burst],
                         [room + "/Alice", room + "/Bob", room + "/Carol", room], show(burst))
        self.assert_occupant_presence(burst[0], room + "/Alice", carol.full_jid, "owner",
                                      "moderator")
        self.assert_occupant_presence(burst[1], room + "/Bob", carol.full_jid, "none",
                                      "participant")
        self.assertEqual(status_codes(burst[2]), [SELF], str(burst[2]))
        self.assertTrue(is_subject(burst[3], room), str(burst[3]))

        pres = self.wait(bob, lambda s: is_presence(s, room + "/Carol"), "Carol's presence")
        self.assert_occupant_presence(pres, room + "/Carol", bob.full_jid, "none",
                                      "participant", jid=None)
        pres = self.wait(alice, lambda s: is_presence(s, room + "/Carol"), "Carol's presence")
        self.assert_occupant_presence(pres, room + "/Carol", alice.full_jid, "none",
                                      "participant", jid=carol.full_jid)

    # 3 ----------------------------------------------------------------------
    def test_groupchat_is_echoed_to_everyone(self):
        room = self.room()
        alice, bob, carol = self.three(room)
        msg_id = self.groupchat(alice, room, "hello &amp; welcome")
        for c in (alice, bob, carol):
            m = self.wait_groupchat(c, room + "/Alice", msg_id)
            self.assertEqual(attr(m, "to"), c.full_jid, str(m))
            self.assertEqual(body_of(m), "hello & welcome", str(m))

        dave = self.login("dave")
        dave_id = self.groupchat(dave, room, "let me in")
        err = self.wait(dave, lambda s: is_error(s, "message", room), "an error")
        self.assertEqual((attr(err, "id"), attr(err, "to")), (dave_id, dave.full_jid), str(err))
        self.assert_stanza_error(err, "modify", "not-acceptable")
        # mucd handles stanzas in order: a later message overtakes nothing.
        marker = self.groupchat(bob, room, "marker")
        for c in (alice, bob, carol):
            self.wait_groupchat(c, room + "/Bob", marker)
            self.assert_nothing(c, lambda s: body_of(s) == "let me in", "dave's message")

    # 4 ----------------------------------------------------------------------
    def test_private_message(self):
        room = self.room()
        alice, bob, carol = self.three(room)
        pm_id = new_id("pm")
        bob.send_raw("<message type='chat' to='%s/Carol' id='%s'><body>psst</body></message>"
                     % (room, pm_id))
        m = self.wait(carol, lambda s: is_message(s, room + "/Bob", "chat"), "Bob's PM")
        self.assertEqual((attr(m, "to"), attr(m, "id"), body_of(m)),
                         (carol.full_jid, pm_id, "psst"), str(m))
        self.assertIsNotNone(muc_x(m), "a PM carries <x xmlns=muc#user/>: %s" % m)

        bob.send_raw("<message type='chat' to='%s/Nobody' id='pm-nobody'><body>?</body>"
                     "</message>" % room)
        err = self.wait(bob, lambda s: is_error(s, "message", room + "/Nobody"), "an error")
        self.assertEqual(attr(err, "id"), "pm-nobody", str(err))
        self.assert_stanza_error(err, "cancel", "item-not-found")

        # A groupchat-type message to one occupant is refused (§7.5).
        bob.send_raw("<message type='groupchat' to='%s/Carol' id='pm-gc'><body>x</body>"
                     "</message>" % room)
        err = self.wait(bob, lambda s: is_error(s, "message", room + "/Carol"), "an error")
        self.assertEqual(attr(err, "id"), "pm-gc", str(err))
        self.assert_stanza_error(err, "modify", "bad-request")

        dave = self.login("dave")
        dave.send_raw("<message type='chat' to='%s/Carol' id='pm-outsider'><body>hi</body>"
                      "</message>" % room)
        err = self.wait(dave, lambda s: is_error(s, "message", room + "/Carol"), "an error")
        self.assertEqual(attr(err, "id"), "pm-outsider", str(err))
        self.assert_stanza_error(err, "modify", "not-acceptable")

        marker = self.groupchat(bob, room, "marker")
        for c in (alice, carol):
            self.wait_groupchat(c, room + "/Bob", marker)
        self.assert_nothing(alice, lambda s: body_of(s) == "psst", "Bob's PM to Carol")
        self.assert_nothing(carol, lambda s: body_of(s) in ("hi", "x"), "a refused message")

    # 5 ----------------------------------------------------------------------
    def test_subject_change(self):
        room = self.room()
        alice, bob, carol = self.three(room)
        bob.send_raw("<message type='groupchat' to='%s' id='subj-bob'>"
                     "<subject>Bob rules</subject></message>" % room)
        err = self.wait(bob, lambda s: is_error(s, "message", room), "an error")
        self.assertEqual(attr(err, "id"), "subj-bob", str(err))
        self.assert_stanza_error(err, "auth", "forbidden")

        alice.send_raw("<message type='groupchat' to='%s' id='subj-alice'>"
                       "<subject>Release planning</subject></message>" % room)
        for c in (alice, bob, carol):
            m = self.wait(c, lambda s: is_subject(s, room), "the new subject")
            self.assertEqual((attr(m, "from"), attr(m, "to")), (room + "/Alice", c.full_jid),
                             str(m))
            self.assertEqual(subject_el(m).text, "Release planning", str(m))
            self.assert_nothing(c, lambda s: (subject_el(s) is not None
                                              and subject_el(s).text == "Bob rules"),
                                "Bob's refused subject")

        dave = self.login("dave")
        burst = self.join(dave, room, "Dave")
        last = burst[-1]
        self.assertEqual((attr(last, "from"), subject_el(last).text),
                         (room + "/Alice", "Release planning"), show(burst))

    # 6 ----------------------------------------------------------------------
    def test_nick_change(self):
        room = self.room()
        alice, bob, carol = self.three(room)
        carol.send_raw("<presence to='%s/Caroline'/>" % room)
        for c in (alice, bob, carol):
            burst = self.take_through(
                c, lambda s: is_presence(s, room + "/Caroline"), "Caroline's presence",
                relevant=from_room(room))
            self.assertEqual(len(burst), 2, "unavailable as Carol, then Caroline:\n" + show(burst))
            gone, back = burst
            codes = (NICK_CHANGED, SELF) if c is carol else (NICK_CHANGED,)
            jid = carol.full_jid if c in (alice, carol) else None
            self.assertEqual((attr(gone, "from"), attr(gone, "type")),
                             (room + "/Carol", "unavailable"), str(gone))
            self.assertEqual(muc_item(gone).get("nick"), "Caroline", str(gone))
            self.assertEqual(status_codes(gone), sorted(codes), str(gone))
            self.assertEqual(muc_item(gone).get("jid"), jid, str(gone))
            self.assertEqual(attr(back, "type"), None, str(back))
            self.assertEqual(muc_item(back).get("role"), "participant", str(back))
            self.assertEqual(muc_item(back).get("jid"), jid, str(back))
            if c is carol:
                self.assertIn(SELF, status_codes(back), str(back))

        # Taken nicks.
        bob.send_raw("<presence to='%s/Alice'/>" % room)
        err = self.wait(bob, lambda s: is_presence(s, room + "/Alice", "error"), "an error")
        self.assert_stanza_error(err, "cancel", "conflict")
        dave = self.login("dave")
        err = self.join_error(dave, room, "Bob")
        self.assert_stanza_error(err, "cancel", "conflict")
        # The old nick is free again.
        burst = self.join(dave, room, "Carol")
        self.assertEqual([attr(s, "from") for s in burst[:-1]],
                         [room + "/" + n for n in ("Alice", "Bob", "Caroline", "Carol")],
                         show(burst))

    # 7 ----------------------------------------------------------------------
    def test_history_on_late_join(self):
        room = self.room()
        alice, bob = self.room_with(room, ("alice", "Alice"), ("bob", "Bob"))
        sent = []
        for i in range(5):
            sender, nick = (alice, "Alice") if i % 2 == 0 else (bob, "Bob")
            body = "message %d" % (i + 1)
            msg_id = self.groupchat(sender, room, body)
            self.wait_groupchat(sender, "%s/%s" % (room, nick), msg_id)  # in order
            sent.append(("%s/%s" % (room, nick), body))

        carol = self.login("carol")
        before = time.time()
        burst = self.join(carol, room, "Carol")
        self.assertEqual(len(burst), 3 + 5 + 1, show(burst))
        self.assertEqual([attr(s, "from") for s in burst[:3]],
                         [room + "/Alice", room + "/Bob", room + "/Carol"], show(burst))
        self.assertIn(SELF, status_codes(burst[2]))
        history = burst[3:8]
        self.assertEqual([(attr(m, "from"), body_of(m)) for m in history], sent, show(history))
        for m in history:
            self.assertEqual((attr(m, "type"), attr(m, "to")), ("groupchat", carol.full_jid),
                             str(m))
            delay = stanza_xml(m).find(q(NS_DELAY, "delay"))
            self.assertIsNotNone(delay, "no XEP-0203 delay: %s" % m)
            self.assertEqual(delay.get("from"), room, str(m))
            stamp = delay.get("stamp") or ""
            self.assertRegex(stamp, STAMP_RE)
            when = calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S"))
            self.assertLess(abs(when - before), 120, "stamp %s is not about now" % stamp)
        self.assertTrue(is_subject(burst[-1], room), str(burst[-1]))

        dave = self.login("dave")
        burst = self.join(dave, room, "Dave", "<history maxstanzas='2'/>")
        history = [s for s in burst if stanza_kind(s) == "message" and body_of(s)]
        self.assertEqual([(attr(m, "from"), body_of(m)) for m in history], sent[-2:],
                         show(burst))
        self.assertEqual(burst[-3:-1], history, "history right before the subject")
        self.assertTrue(is_subject(burst[-1], room))

        erin = self.login("erin")
        burst = self.join(erin, room, "Erin", "<history maxstanzas='0'/>")
        self.assertEqual([s for s in burst if stanza_kind(s) == "message" and body_of(s)], [],
                         show(burst))
        self.assertEqual(len(burst), 5 + 1, "4 presences, own presence, subject:\n" + show(burst))
        self.assertTrue(is_subject(burst[-1], room))

    # 8 ----------------------------------------------------------------------
    def test_leaving_and_temporary_room_vanishes(self):
        room = self.room()
        alice, bob, carol = self.three(room)
        self.groupchat(alice, room, "old message")
        self.wait(alice, lambda s: body_of(s) == "old message", "the echo")

        bob.send_raw("<presence type='unavailable' to='%s/Bob'><status>see you</status>"
                     "</presence>" % room)
        own = self.wait(bob, lambda s: is_presence(s, room + "/Bob", "unavailable"), "own exit")
        self.assertEqual(muc_item(own).get("role"), "none", str(own))
        self.assertIn(SELF, status_codes(own), str(own))
        for c in (alice, carol):
            pres = self.wait(c, lambda s: is_presence(s, room + "/Bob", "unavailable"),
                             "Bob's exit")
            self.assertEqual(attr(pres, "to"), c.full_jid)
            self.assertEqual(muc_item(pres).get("role"), "none", str(pres))
            self.assertEqual(muc_item(pres).get("affiliation"), "none", str(pres))
            self.assertNotIn(SELF, status_codes(pres), str(pres))
            self.assertEqual(stanza_xml(pres).findtext(q(NS_CLIENT, "status")), "see you",
                             str(pres))

        # Bob is out: his groupchat is refused.
        self.groupchat(bob, room, "still here?")
        err = self.wait(bob, lambda s: is_error(s, "message", room), "an error")
        self.assert_stanza_error(err, "modify", "not-acceptable")

        for c, nick in ((carol, "Carol"), (alice, "Alice")):
            c.send_raw("<presence type='unavailable' to='%s/%s'/>" % (room, nick))
            own = self.wait(c, lambda s, n=nick: is_presence(s, "%s/%s" % (room, n),
                                                             "unavailable"), "own exit")
            self.assertIn(SELF, status_codes(own), str(own))
        self.wait(alice, lambda s: is_presence(s, room + "/Carol", "unavailable"), "Carol's exit")
        self.assert_nothing(alice, from_room(room), "more from the room")

        reply = self.disco_info(alice, room)
        self.assertEqual((attr(reply, "type"), attr(reply, "from")), ("error", room), str(reply))
        self.assert_stanza_error(reply, "cancel", "item-not-found")

        burst = self.join(alice, room, "Alice")
        self.assertEqual(len(burst), 2, "a fresh room: no history\n" + show(burst))
        self.assertEqual(status_codes(burst[0]), [SELF, CREATED], str(burst[0]))
        self.assertEqual(muc_item(burst[0]).get("affiliation"), "owner")

    def test_disconnect_without_leaving_removes_occupant(self):
        # Prosody sends unavailable presence to the room when the session ends.
        room = self.room()
        alice, bob, carol = self.three(room)
        carol.disconnect()
        for c in (alice, bob):
            pres = self.wait(c, lambda s: is_presence(s, room + "/Carol", "unavailable"),
                             "Carol's exit")
            self.assertEqual(muc_item(pres).get("role"), "none", str(pres))
        dave = self.login("dave")
        burst = self.join(dave, room, "Carol")  # the nick is free again
        self.assertEqual([attr(s, "from") for s in burst[:-1]],
                         [room + "/Alice", room + "/Bob", room + "/Carol"], show(burst))

    # 9 ----------------------------------------------------------------------
    def test_presence_update_is_broadcast(self):
        room = self.room()
        alice, bob, carol = self.three(room)
        alice.send_raw("<presence to='%s/Alice'><show>away</show><status>brb</status>"
                       "</presence>" % room)
        for c in (bob, alice):
            pres = self.wait(c, lambda s: is_presence(s, room + "/Alice"), "Alice's presence")
            el = stanza_xml(pres)
            self.assertEqual((el.findtext(q(NS_CLIENT, "show")),
                              el.findtext(q(NS_CLIENT, "status"))), ("away", "brb"), str(pres))
            self.assertEqual((muc_item(pres).get("affiliation"), muc_item(pres).get("role")),
                             ("owner", "moderator"), str(pres))
            self.assertEqual(SELF in status_codes(pres), c is alice, str(pres))
            self.assertIsNone(muc_item(pres).get("nick"), str(pres))

        # A later joiner sees the stored presence.
        dave = self.login("dave")
        burst = self.join(dave, room, "Dave")
        el = stanza_xml(burst[0])
        self.assertEqual(attr(burst[0], "from"), room + "/Alice")
        self.assertEqual((el.findtext(q(NS_CLIENT, "show")),
                          el.findtext(q(NS_CLIENT, "status"))), ("away", "brb"), show(burst))

    # 10 ---------------------------------------------------------------------
    def test_multi_session_same_nick(self):
        room = self.room()
        alice, bob = self.room_with(room, ("alice", "Alice"), ("bob", "Bob"))
        alice2 = self.login("alice", resource="second")
        self.assertEqual(alice2.full_jid, "alice@%s/second" % HOST)
        burst = self.join(alice2, room, "Alice")
        own = [s for s in burst if attr(s, "from") == room + "/Alice"]
        self.assertTrue(own and SELF in status_codes(own[-1]), show(burst))
        self.assertEqual(muc_item(own[-1]).get("affiliation"), "owner", show(burst))

        msg_id = self.groupchat(bob, room, "to both of you")
        for c in (alice, alice2, bob):
            m = self.wait_groupchat(c, room + "/Bob", msg_id)
            self.assertEqual(attr(m, "to"), c.full_jid, str(m))
        msg_id = self.groupchat(alice2, room, "from the second session")
        for c in (alice, alice2, bob):
            m = self.wait_groupchat(c, room + "/Alice", msg_id)
            self.assertEqual(body_of(m), "from the second session", str(m))

    # 11 ---------------------------------------------------------------------
    def test_bad_nicks(self):
        room = self.room()
        alice = self.login("alice")

        alice.send_raw("<presence to='%s'><x xmlns='%s'/></presence>" % (room, NS_MUC))
        err = self.wait(alice, lambda s: is_presence(s, room, "error"), "an error")
        self.assert_stanza_error(err, "modify", "jid-malformed")

        for nick in ("n" * 65, "   "):
            err = self.join_error(alice, room, nick)
            self.assertEqual(attr(err, "from"), "%s/%s" % (room, nick), str(err))
            self.assert_stanza_error(err, "modify", "not-acceptable")
        # None of that created the room.
        reply = self.disco_info(alice, room)
        self.assert_stanza_error(reply, "cancel", "item-not-found")

        # 64 characters is the default limit; a nick change is checked too.
        long_ok = "n" * 64
        burst = self.join(alice, room, long_ok)
        self.assertEqual(status_codes(burst[0]), [SELF, CREATED], str(burst[0]))
        alice.send_raw("<presence to='%s/%s'/>" % (room, "m" * 65))
        err = self.wait(alice, lambda s: is_presence(s, "%s/%s" % (room, "m" * 65), "error"),
                        "an error")
        self.assert_stanza_error(err, "modify", "not-acceptable")

    # 13 ---------------------------------------------------------------------
    def test_iq_forwarded_between_occupants(self):
        room = self.room()
        alice, bob, carol = self.three(room)
        hold_iq_requests(carol)
        bob.send_raw("<iq type='get' to='%s/Carol' id='ver-1'><query xmlns='%s'/></iq>"
                     % (room, NS_VERSION))
        forwarded = lambda s: stanza_kind(s) == "iq" and attr(s, "type") == "get"
        answered = lambda s: stanza_kind(s) == "iq" and attr(s, "id") == "ver-1"
        wait_until(lambda: carol.received(forwarded) or bob.received(answered), self.timeout,
                   "the iq to reach Carol or an answer to reach Bob")
        if not carol.received(forwarded):
            self.fail("the iq was not forwarded to Carol; Bob received instead:\n"
                      + show(bob.received(answered)))
        fwd = self.wait(carol, forwarded, "the forwarded iq")
        self.assertEqual((attr(fwd, "from"), attr(fwd, "to")), (room + "/Bob", carol.full_jid),
                         str(fwd))
        self.assertTrue(attr(fwd, "id"), str(fwd))
        self.assertIsNotNone(stanza_xml(fwd).find(q(NS_VERSION, "query")), str(fwd))

        carol.send_raw("<iq type='result' to='%s/Bob' id=%s><query xmlns='%s'>"
                       "<name>carol-client</name><version>1.0</version></query></iq>"
                       % (room, quoteattr(attr(fwd, "id")), NS_VERSION))
        res = self.wait(bob, lambda s: stanza_kind(s) == "iq" and attr(s, "id") == "ver-1",
                        "the answer")
        self.assertEqual((attr(res, "type"), attr(res, "from"), attr(res, "to")),
                         ("result", room + "/Carol", bob.full_jid), str(res))
        self.assertEqual(stanza_xml(res).findtext("%s/%s" % (q(NS_VERSION, "query"),
                                                             q(NS_VERSION, "name"))),
                         "carol-client", str(res))

    def test_iq_to_occupant_from_non_occupant_is_bad_request(self):
        room = self.room()
        self.three(room)
        dave = self.login("dave")
        reply = dave.send_iq_raw("<iq type='get' to='%s/Carol' id='ver-out'>"
                                 "<query xmlns='%s'/></iq>" % (room, NS_VERSION))
        self.assertEqual((attr(reply, "type"), attr(reply, "from")), ("error", room + "/Carol"),
                         str(reply))
        self.assert_stanza_error(reply, "modify", "bad-request")

    # 14 ---------------------------------------------------------------------
    def test_room_disco(self):
        room = self.room()
        alice = self.login("alice")

        def listed():
            reply = alice.send_iq_raw("<iq type='get' to='%s' id='%s'><query xmlns='%s'/></iq>"
                                      % (DOMAIN, new_id("items"), NS_DISCO_ITEMS))
            self.assertEqual(attr(reply, "type"), "result", str(reply))
            items = stanza_xml(reply).findall("%s/%s" % (q(NS_DISCO_ITEMS, "query"),
                                                         q(NS_DISCO_ITEMS, "item")))
            return [i.get("jid") for i in items]

        self.join(alice, room, "Alice")
        self.assertNotIn(room, listed(), "a locked room is not listed")
        self.submit_instant(alice, room)
        self.assertIn(room, listed())

        reply = self.disco_info(alice, room)
        self.assertEqual((attr(reply, "type"), attr(reply, "from")), ("result", room), str(reply))
        query = stanza_xml(reply).find(q(NS_DISCO_INFO, "query"))
        identities = [(i.get("category"), i.get("type"))
                      for i in query.findall(q(NS_DISCO_INFO, "identity"))]
        self.assertEqual(identities, [("conference", "text")], str(reply))
        features = [f.get("var") for f in query.findall(q(NS_DISCO_INFO, "feature"))]
        for var in (NS_MUC, "muc_semianonymous", "muc_temporary", "muc_public", "muc_open",
                    "muc_unmoderated", "muc_unsecured"):
            self.assertIn(var, features, str(reply))
        for var in ("muc_nonanonymous", "muc_persistent", "muc_hidden", "muc_membersonly",
                    "muc_moderated", "muc_passwordprotected"):
            self.assertNotIn(var, features, str(reply))


class ConfiguredServiceTest(SharedStackTestCase):
    """``[muc] creators`` and ``max_nick_length`` in effect."""

    mucd_config = {"muc": {"creators": "bob@%s" % HOST, "max_nick_length": 10}}

    # 12 ---------------------------------------------------------------------
    def test_only_creators_may_create_rooms(self):
        room = self.room()
        alice, bob = self.login("alice"), self.login("bob")
        err = self.join_error(alice, room, "Alice")
        self.assertEqual(attr(err, "from"), room + "/Alice", str(err))
        self.assert_stanza_error(err, "cancel", "not-allowed")
        reply = self.disco_info(alice, room)
        self.assert_stanza_error(reply, "cancel", "item-not-found")

        burst = self.create_instant_room(bob, room, "Bob")
        self.assertEqual(muc_item(burst[0]).get("affiliation"), "owner", str(burst[0]))
        # Entering an existing room needs no creation right.
        burst = self.join(alice, room, "Alice")
        self.assertEqual((muc_item(burst[-2]).get("affiliation"),
                          muc_item(burst[-2]).get("role")), ("none", "participant"),
                         show(burst))

    def test_configured_max_nick_length(self):
        room = self.room()
        bob, carol = self.login("bob"), self.login("carol")
        self.create_instant_room(bob, room, "b" * 10)
        err = self.join_error(carol, room, "c" * 11)
        self.assert_stanza_error(err, "modify", "not-acceptable")
        # The limit counts characters, not bytes.
        self.join(carol, room, "\u00e9" * 10)


if __name__ == "__main__":
    unittest.main(verbosity=2)
