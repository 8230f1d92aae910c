"""Moderated retraction (XEP-0425) end to end through a real server: a
moderator retracts a message by its stanza-id; every occupant gets the
retraction in both forms (urn:xmpp:message-moderate:1 and :0) from the room
JID; a MAM query then returns the tombstone, never the body; a participant
gets forbidden.
"""

import unittest

from harness import attr, new_id, q, wait_until
from muc_helpers import is_message
import test_mam
from test_mam import NS_FORWARD, mam_result

MOD0 = "urn:xmpp:message-moderate:0"
MOD1 = "urn:xmpp:message-moderate:1"
RET0 = "urn:xmpp:message-retract:0"
RET1 = "urn:xmpp:message-retract:1"
FASTEN = "urn:xmpp:fasten:0"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"


class ModerationTest(test_mam.MamTest):
    test_catch_up_in_pages = None  # run in test_mam.py

    def moderate(self, client, room, sid):
        return client.send_iq_raw(
            "<iq type='set' to='%s' id='%s'><moderate xmlns='%s' id='%s'>"
            "<retract xmlns='%s'/><reason>spam</reason></moderate></iq>"
            % (room, new_id("mod"), MOD1, sid, RET1))

    def test_moderator_retracts(self):
        room = self.room("moderation")
        alice, bob = self.room_with(room, ("alice", "Alice"), ("bob", "Bob"))
        self.make_persistent(alice, room)
        info = self.disco_info(bob, room)
        features = [f.get("var") for f in info.xml.iter(q(NS_DISCO_INFO, "feature"))]
        self.assertIn(MOD0, features, str(info))
        self.assertIn(MOD1, features, str(info))

        sid = self.say(bob, room, "Bob", "something regrettable")
        reply = self.moderate(bob, room, sid)
        self.assertEqual(attr(reply, "type"), "error", str(reply))
        self.assertIn("forbidden", str(reply))

        alice.drain()
        bob.drain()
        reply = self.moderate(alice, room, sid)
        self.assertEqual(attr(reply, "type"), "result", str(reply))
        for client in (alice, bob):
            m = self.wait(client, lambda s: is_message(s, room)
                          and s.xml.find(q(RET1, "retract")) is not None,
                          "the retraction")
            r1 = m.xml.find(q(RET1, "retract"))
            self.assertEqual(r1.get("id"), sid)
            self.assertEqual(r1.find(q(MOD1, "moderated")).get("by"), "%s/Alice" % room)
            self.assertEqual(r1.findtext(q(RET1, "reason")) or r1.findtext("reason"), "spam")
            a0 = m.xml.find(q(FASTEN, "apply-to"))
            self.assertIsNotNone(a0, str(m))
            self.assertEqual(a0.get("id"), sid)
            self.assertIsNotNone(a0.find(q(MOD0, "moderated")), str(m))

        bob.drain()
        self.query(bob, room, "after")
        # the tombstone, then the announcement (a client catching up applies it)
        def two_results():
            found = [s for s in bob.received() if mam_result(s, "after") is not None]
            return found if len(found) >= 2 else None
        results = wait_until(two_results, self.timeout,
                             "the archived message and the retraction")
        self.assertEqual(len(results), 2)
        res = mam_result(results[0], "after")
        self.assertEqual(res.get("id"), sid)
        inner = res.find(q(NS_FORWARD, "forwarded")).find(q("jabber:client", "message"))
        self.assertIsNotNone(inner, str(results[0]))
        self.assertIsNotNone(inner.find(q(RET1, "retracted")), str(results[0]))
        ann = mam_result(results[1], "after").find(q(NS_FORWARD, "forwarded")).find(
            q("jabber:client", "message"))
        self.assertEqual(ann.get("from"), room, str(results[1]))
        self.assertEqual(ann.find(q(RET1, "retract")).get("id"), sid, str(results[1]))
        for r in results:
            self.assertNotIn("regrettable", str(r))


if __name__ == "__main__":
    unittest.main()
