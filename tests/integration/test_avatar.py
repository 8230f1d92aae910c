"""Room avatars (issue 10), end to end through a real server: an owner sets
the room's vCard (vcard-temp, XEP-0054) with a photo; another client gets the
vCard, finds the photo's hash in disco#info (muc#roominfo_avatarhash,
XEP-0486) and was told of the change by a presence from the room with the
XEP-0153 hash and a status 104 message; someone entering later gets that
presence too. Non-owners get forbidden, and a photo over the configured
[muc] max_avatar_bytes gets not-acceptable.
"""

import base64
import hashlib
import unittest

from harness import attr, error_of, new_id, q
from muc_helpers import NS_DATA, is_message, is_presence, status_codes
from test_muc_core import SharedStackTestCase

NS_VCARD = "vcard-temp"
NS_VCARD_UPDATE = "vcard-temp:x:update"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"

PHOTO = bytes(range(256)) * 8  # 2048 bytes
TOO_BIG = bytes(5000)


def vcard_set(room, photo, fn="A room"):
    b64 = base64.b64encode(photo).decode()
    return ("<iq type='set' to='%s' id='%s'><vCard xmlns='%s'><FN>%s</FN>"
            "<PHOTO><TYPE>image/png</TYPE><BINVAL>%s</BINVAL></PHOTO></vCard></iq>"
            % (room, new_id("vc"), NS_VCARD, fn, b64))


def update_hash(st):
    """The XEP-0153 <photo/> text of a presence (None without the element)."""
    x = st.xml.find(q(NS_VCARD_UPDATE, "x"))
    photo = x.find(q(NS_VCARD_UPDATE, "photo")) if x is not None else None
    return None if photo is None else (photo.text or "")


class AvatarTest(SharedStackTestCase):
    mucd_config = {"muc": {"max_avatar_bytes": 4096}}

    def test_owner_sets_avatar_others_see_it(self):
        room = self.room()
        alice, bob = self.room_with(room, ("alice", "Alice"), ("bob", "Bob"))
        digest = hashlib.sha1(PHOTO).hexdigest()

        reply = alice.send_iq_raw(vcard_set(room, PHOTO))
        self.assertEqual(attr(reply, "type"), "result", str(reply))

        # Bob is told: a presence from the room's bare JID with the hash, and 104
        pres = self.wait(bob, lambda s: is_presence(s, room) and update_hash(s) is not None,
                         "the room's XEP-0153 presence")
        self.assertEqual(update_hash(pres), digest, str(pres))
        msg = self.wait(bob, lambda s: is_message(s, room), "the status 104 message")
        self.assertIn(104, status_codes(msg), str(msg))

        # Bob gets the vCard
        got = bob.send_iq_raw("<iq type='get' to='%s' id='%s'><vCard xmlns='%s'/></iq>"
                              % (room, new_id("vg"), NS_VCARD))
        self.assertEqual(attr(got, "type"), "result", str(got))
        vcard = got.xml.find(q(NS_VCARD, "vCard"))
        self.assertIsNotNone(vcard, str(got))
        binval = vcard.findtext("%s/%s" % (q(NS_VCARD, "PHOTO"), q(NS_VCARD, "BINVAL")))
        self.assertEqual(base64.b64decode(binval), PHOTO)
        self.assertEqual(vcard.findtext(q(NS_VCARD, "FN")), "A room")

        # and the hash in disco#info
        info = self.disco_info(bob, room)
        query = info.xml.find(q(NS_DISCO_INFO, "query"))
        features = [f.get("var") for f in query.findall(q(NS_DISCO_INFO, "feature"))]
        self.assertIn(NS_VCARD, features)
        hashes = [v.text for f in query.iter(q(NS_DATA, "field"))
                  if f.get("var") == "muc#roominfo_avatarhash"
                  for v in f.findall(q(NS_DATA, "value"))]
        self.assertEqual(hashes, [digest], str(info))

        # someone entering later gets the room's presence with the hash
        carol = self.login("carol")
        self.join(carol, room, "Carol")
        pres = self.wait(carol, lambda s: is_presence(s, room), "the room's presence on join")
        self.assertEqual(update_hash(pres), digest, str(pres))

    def test_non_owner_forbidden_and_size_limit(self):
        room = self.room()
        alice, bob = self.room_with(room, ("alice", "Alice"), ("bob", "Bob"))
        reply = bob.send_iq_raw(vcard_set(room, PHOTO))
        self.assert_stanza_error(reply, "auth", "forbidden")
        reply = alice.send_iq_raw(vcard_set(room, TOO_BIG))
        err = self.assert_stanza_error(reply, "modify", "not-acceptable")
        self.assertIn("at most 4096", err[3] or "", str(reply))
        got = bob.send_iq_raw("<iq type='get' to='%s' id='%s'><vCard xmlns='%s'/></iq>"
                              % (room, new_id("vg"), NS_VCARD))
        self.assertEqual(attr(got, "type"), "result", str(got))
        vcard = got.xml.find(q(NS_VCARD, "vCard"))
        self.assertIsNotNone(vcard, str(got))
        self.assertEqual(len(list(vcard)), 0, str(got))
        self.assertIsNone(error_of(got))


if __name__ == "__main__":
    unittest.main()
