"""What clients gate features on (issue 10), end to end through the server:
stanza ids (XEP-0359) and occupant ids (XEP-0421) on what the room sends, and
the self-ping (XEP-0410) answered by the service.
"""

import unittest

from harness import attr, new_id
from muc_helpers import is_presence
from test_muc_core import SharedStackTestCase

NS_SID = "urn:xmpp:sid:0"
NS_OCCUPANT_ID = "urn:xmpp:occupant-id:0"
NS_PING = "urn:xmpp:ping"


def child(st, name, ns):
    return st.xml.find("{%s}%s" % (ns, name))


class IdsTest(SharedStackTestCase):

    def test_stanza_and_occupant_ids(self):
        room = self.room()
        alice, bob = self.room_with(room, ("alice", "Alice"), ("bob", "Bob"))
        msg = self.groupchat(bob, room, "react to me")
        got = [self.wait_groupchat(c, room + "/Bob", msg) for c in (alice, bob)]
        sids = [child(m, "stanza-id", NS_SID) for m in got]
        self.assertTrue(all(s is not None for s in sids), [str(m) for m in got])
        self.assertEqual({s.get("by") for s in sids}, {room})
        self.assertEqual(len({s.get("id") for s in sids}), 1, "one id in every copy")
        oids = {child(m, "occupant-id", NS_OCCUPANT_ID).get("id") for m in got}
        self.assertEqual(len(oids), 1)
        # Bob's presence carries the same occupant id, and a new nick keeps it
        bob.send_raw("<presence to='%s/Robert'/>" % room)
        pres = self.wait(alice, lambda s: is_presence(s, room + "/Robert"), "Robert")
        self.assertEqual(child(pres, "occupant-id", NS_OCCUPANT_ID).get("id"), oids.pop())
        self.assertNotIn("bob@", str(child(pres, "occupant-id", NS_OCCUPANT_ID).attrib))

    def test_self_ping_before_and_after_leaving(self):
        room = self.room()
        alice, bob = self.room_with(room, ("alice", "Alice"), ("bob", "Bob"))
        ping = "<iq type='get' to='%s/Bob' id='%s'><ping xmlns='%s'/></iq>"
        reply = bob.send_iq_raw(ping % (room, new_id("sp"), NS_PING))
        self.assertEqual((attr(reply, "type"), attr(reply, "from")), ("result", room + "/Bob"),
                         str(reply))
        self.assert_nothing(alice, lambda s: child(s, "ping", NS_PING) is not None,
                            "a forwarded self-ping")
        bob.send_raw("<presence type='unavailable' to='%s/Bob'/>" % room)
        self.wait(bob, lambda s: is_presence(s, room + "/Bob", "unavailable"), "leaving")
        reply = bob.send_iq_raw(ping % (room, new_id("sp"), NS_PING))
        self.assertEqual(attr(reply, "type"), "error", str(reply))
        self.assert_stanza_error(reply, "modify", "not-acceptable")


if __name__ == "__main__":
    unittest.main()
