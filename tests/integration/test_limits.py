"""The [limits] of mucd (issue 7), end to end through a real Prosody.

One Prosody and one mucd with small limits serve the class: a message rate of
2/s with bursts of 3 per occupant, 4096-byte stanzas, 40-byte room names and
2 rooms per creator (room names: 40 bytes). Each limit crossed gives the client its XMPP error with a
text, and nothing else happens: no copy reaches the other occupants, no room
is created, and the sender can go on once back under the limit.
"""

import time
import unittest

from harness import attr, error_of
from muc_helpers import DOMAIN, is_error, is_presence
from test_muc_core import SharedStackTestCase


class LimitsTest(SharedStackTestCase):
    mucd_config = {"limits": {"message_rate": 2, "message_burst": 3,
                              "max_stanza_size": 4096, "max_room_name_length": 40,
                              "max_rooms_per_creator": 2}}

    def assert_error_text(self, st, err_type, condition, text):
        err = error_of(st)
        self.assertIsNotNone(err, str(st))
        self.assertEqual(err[:2], (err_type, condition), str(st))
        self.assertIn(text, err[3] or "", str(st))

    def test_message_rate_limit(self):
        room = self.room()
        alice, bob = self.room_with(room, ("alice", "Alice"), ("bob", "Bob"))
        ids = [self.groupchat(bob, room, "burst %d" % i) for i in range(4)]
        err = self.wait(bob, lambda s: is_error(s, "message", room), "the rate-limit error")
        self.assertEqual(attr(err, "id"), ids[3], str(err))
        self.assert_error_text(err, "wait", "resource-constraint", "too many messages")
        for mid in ids[:3]:
            self.wait_groupchat(alice, room + "/Bob", mid)
        # after a second (2 tokens) Bob may talk again; Alice never got the 4th
        time.sleep(1.1)
        again = self.groupchat(bob, room, "later")
        self.wait_groupchat(alice, room + "/Bob", again)
        self.assert_nothing(alice, lambda s: attr(s, "id") == ids[3], "the refused message")
        # Alice has her own bucket
        mine = self.groupchat(alice, room, "mine")
        self.wait_groupchat(bob, room + "/Alice", mine)

    def test_stanza_size_limit(self):
        room = self.room()
        alice, bob = self.room_with(room, ("alice", "Alice"), ("bob", "Bob"))
        big = self.groupchat(bob, room, "x" * 5000)
        err = self.wait(bob, lambda s: is_error(s, "message", room), "the size error")
        self.assertEqual(attr(err, "id"), big, str(err))
        self.assert_error_text(err, "modify", "not-acceptable", "at most 4096 bytes")
        small = self.groupchat(bob, room, "short")
        self.wait_groupchat(alice, room + "/Bob", small)
        self.assert_nothing(alice, lambda s: attr(s, "id") == big, "the oversized message")

    def test_room_name_length_limit(self):
        carol = self.login("carol")
        room = "a-room-name-of-exactly-fifty-one-characters-123456@" + DOMAIN
        err = self.join_error(carol, room, "Carol")
        self.assert_error_text(err, "modify", "not-acceptable", "room name too long")
        info = self.disco_info(carol, room)
        self.assertEqual(attr(info, "type"), "error", "the room must not exist: %s" % info)

    def test_rooms_per_creator(self):
        dave = self.login("dave")
        rooms = [self.room("-%d" % i) for i in range(3)]
        for r in rooms[:2]:
            self.create_instant_room(dave, r, "Dave")
        err = self.join_error(dave, rooms[2], "Dave")
        self.assert_error_text(err, "modify", "policy-violation", "maximum of 2 rooms")
        # someone else may create it; leaving a temporary room frees a slot
        erin = self.login("erin")
        self.create_instant_room(erin, rooms[2], "Erin")
        dave.send_raw("<presence type='unavailable' to='%s/Dave'/>" % rooms[0])
        self.wait(dave, lambda s: is_presence(s, rooms[0] + "/Dave", "unavailable"),
                  "leaving %s" % rooms[0])
        self.create_instant_room(dave, self.room("-4"), "Dave")


if __name__ == "__main__":
    unittest.main()
