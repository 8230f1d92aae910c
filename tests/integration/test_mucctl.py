"""``mucctl archive``: the room archive (XEP-0313) read from mucd's LMDB
store by the offline tool, while mucd runs (LMDB readers never block its
writer), end to end through a real server.

Clients talk in a persistent, archiving room; then ``mucctl -c FILE archive
ROOM`` prints one JSON object per message (JSON Lines) in order:
``{"seq", "ts", "id", "nick", "xml"}``, where id is the stanza-id
(urn:xmpp:sid:0) the room gave the message and xml the message as the room
broadcast it, never a real JID. ``--after SEQ`` and ``--max N`` page through
it (the pages concatenated are the whole); an unknown room (or a temporary
one: never stored) exits non-zero; a stored room with its archive off
prints nothing.

Every message is archived before the room broadcasts it (acknowledged =
stored), so once a client has the echo, ``mucctl`` must see the entry.
"""

import calendar
import json
import re
import subprocess
import time
import unittest
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from harness import Mucd, attr, bare, new_id, q, wait_until
from muc_helpers import NS_DATA, NS_MUC_OWNER, NS_ROOMCONFIG, is_message
from test_muc_core import SharedStackTestCase
from test_persistence import mucctl_binary

NS_CLIENT = "jabber:client"
NS_SID = "urn:xmpp:sid:0"

TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
KEYS = ["seq", "ts", "id", "nick", "xml"]


def stanza_id(el):
    """The stanza-id the room (``by``) put on a message element."""
    sid = el.find(q(NS_SID, "stanza-id"))
    return None if sid is None else sid.get("id")


def ts_seconds(stamp):
    """A XEP-0082 UTC stamp with milliseconds as Unix time (float)."""
    return calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")) + \
        int(stamp[20:23]) / 1000.0


class MucctlArchiveTest(SharedStackTestCase):
    mucd_config = {"limits": {"message_rate": 0}}

    # -- mucctl ----------------------------------------------------------------

    def mucctl_run(self, *args):
        """``mucctl -c <mucd's config> ARGS``: (exit code, stdout, stderr)."""
        res = subprocess.run([mucctl_binary(), "-c", self.mucd.config_path] + list(args),
                             stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             timeout=self.timeout)
        for marker in Mucd.SANITIZER_MARKERS:
            self.assertNotIn(marker, res.stderr, "mucctl %s: %s" % (args, res.stderr))
        return res.returncode, res.stdout, res.stderr

    def mucctl_lines(self, *args):
        """``mucctl ARGS`` that must succeed, its JSON Lines parsed."""
        code, out, err = self.mucctl_run(*args)
        self.assertEqual(code, 0, "mucctl %s failed (%d): %s" % (" ".join(args), code, err))
        self.assertEqual(err, "", "mucctl %s" % " ".join(args))
        self.assertTrue(out == "" or out.endswith("\n"), out[-200:])
        lines = []
        for line in out.splitlines():
            try:
                obj = json.loads(line)
            except ValueError as e:
                self.fail("mucctl %s: not JSON (%s): %r" % (" ".join(args), e, line))
            self.assertEqual(list(obj), KEYS, line)
            lines.append(obj)
        return lines

    def archive(self, room, *args):
        return self.mucctl_lines("archive", room.split("@")[0], *args)

    # -- the room --------------------------------------------------------------

    def configure(self, client, room, fields):
        form = "".join("<field var='%s'><value>%s</value></field>" % kv for kv in fields.items())
        reply = client.send_iq_raw(
            "<iq type='set' to='%s' id='%s'><query xmlns='%s'><x xmlns='%s' type='submit'>"
            "<field var='FORM_TYPE'><value>%s</value></field>%s</x></query></iq>"
            % (room, new_id("cfg"), NS_MUC_OWNER, NS_DATA, NS_ROOMCONFIG, form))
        self.assertEqual(attr(reply, "type"), "result", str(reply))

    def talk(self, room, script):
        """Each (client, nick, body) of ``script`` says body in ``room``, all
        sent at once; returns [(stanza-id, nick, body)] in the order the
        first client received the echoes (the room's order)."""
        sent = {}
        for client, nick, body in script:
            sent[self.groupchat(client, room, escape(body))] = (nick, body)
        watcher = script[0][0]

        def echo(st):
            return (is_message(st) and attr(st, "id") in sent
                    and attr(st, "from") == "%s/%s" % (room, sent[attr(st, "id")][0]))
        echoes = wait_until(lambda: (lambda e: e if len(e) == len(sent) else None)(
            watcher.received(echo)), self.timeout, "the echoes of %d messages" % len(sent))
        for client, _, _ in script:
            client.drain()
        said = []
        for st in echoes:
            sid = stanza_id(st.xml)
            self.assertIsNotNone(sid, str(st))
            said.append((sid,) + sent[attr(st, "id")])
        return said

    def archiving_room(self, suffix=""):
        room = self.room(suffix)
        alice, bob = self.room_with(room, ("alice", "Alice"), ("bob", "Bob"))
        self.configure(alice, room, {"muc#roomconfig_persistentroom": "1",
                                     "muc#roomconfig_enablearchiving": "1"})
        return room, alice, bob

    # -- tests -----------------------------------------------------------------

    def test_archive_lists_the_messages(self):
        start = time.time()
        room, alice, bob = self.archiving_room()
        bodies = ["plain %d" % i for i in range(10)] + [
            "quotes \" ' <tags> & amps", "line one\nline two\ttab", "UTF-8: é € 日本 😀"]
        script = [(alice if i % 2 == 0 else bob, "Alice" if i % 2 == 0 else "Bob", b)
                  for i, b in enumerate(bodies)]
        said = self.talk(room, script)
        code, out, err = self.mucctl_run("archive", room.split("@")[0])
        self.assertEqual((code, err), (0, ""), out)
        lines = self.mucctl_lines("archive", room.split("@")[0])
        end = time.time()

        self.assertEqual([(m["id"], m["nick"]) for m in lines],
                         [(sid, nick) for sid, nick, _ in said], out)
        seqs = [m["seq"] for m in lines]
        self.assertEqual(seqs, list(range(seqs[0], seqs[0] + len(said))), "contiguous")
        prev = 0
        for m, (sid, nick, body) in zip(lines, said):
            self.assertRegex(m["ts"], TS_RE)
            ts = ts_seconds(m["ts"])
            self.assertTrue(start - 2 <= ts <= end + 2, "%s not in [%s, %s]" % (m["ts"], start, end))
            self.assertGreaterEqual(ts, prev, "timestamps go back: %s" % out)
            prev = ts
            el = ET.fromstring(m["xml"])
            self.assertEqual(el.tag, q(NS_CLIENT, "message"), m["xml"])
            self.assertEqual((el.get("type"), el.get("from")),
                             ("groupchat", "%s/%s" % (room, nick)), m["xml"])
            self.assertEqual(el.findtext(q(NS_CLIENT, "body")), body, m["xml"])
            self.assertEqual(stanza_id(el), sid, m["xml"])
        for c in (alice, bob):  # no real JID, bare or full
            self.assertNotIn(bare(c.full_jid), out)

    def test_after_and_max_page_the_archive(self):
        room, alice, bob = self.archiving_room()
        said = self.talk(room, [(alice, "Alice", "page %d" % i) for i in range(23)])
        whole = self.archive(room)
        self.assertEqual([m["id"] for m in whole], [sid for sid, _, _ in said])

        for size in (1, 5, 7, 23, 50):
            pages, after = [], 0
            while len(pages) <= 30:
                page = self.archive(room, "--after", str(after), "--max", str(size))
                self.assertLessEqual(len(page), size)
                if not page:
                    break
                pages.append(page)
                after = page[-1]["seq"]
            self.assertEqual([m for p in pages for m in p], whole, "pages of %d" % size)
            self.assertEqual(len(pages), -(-len(whole) // size), "pages of %d" % size)

        first, last = whole[0]["seq"], whole[-1]["seq"]
        self.assertEqual(self.archive(room, "--max", "4"), whole[:4])
        self.assertEqual(self.archive(room, "--max", "0"), [])
        self.assertEqual(self.archive(room, "--after", str(first + 9)), whole[10:])
        self.assertEqual(self.archive(room, "--after", "0"), whole)
        self.assertEqual(self.archive(room, "--after", str(last)), [])
        self.assertEqual(self.archive(room, "--after", str(last + 1000)), [])
        for bad in (("--after", "x"), ("--after", "-1"), ("--max", "-1"), ("--max", "2x")):
            code, out, err = self.mucctl_run("archive", room.split("@")[0], *bad)
            self.assertNotEqual(code, 0, "mucctl archive %s: %s" % (bad, out))
            self.assertEqual(out, "")
            self.assertNotEqual(err, "")

        # Messages said later follow on.
        more = self.talk(room, [(bob, "Bob", "later %d" % i) for i in range(3)])
        tail = self.archive(room, "--after", str(last))
        self.assertEqual([(m["id"], m["nick"]) for m in tail],
                         [(sid, nick) for sid, nick, _ in more])
        self.assertEqual(tail[0]["seq"], last + 1)

    def assert_unknown(self, name):
        code, out, err = self.mucctl_run("archive", name)
        self.assertNotEqual(code, 0, "mucctl archive %s: %s" % (name, out))
        self.assertEqual(out, "")
        self.assertIn(name, err)

    def test_unknown_room_fails(self):
        self.assert_unknown("no-such-room")
        # A temporary room, talking: it is never stored.
        room = self.room("temp")
        alice, bob = self.room_with(room, ("alice", "Alice"), ("bob", "Bob"))
        self.talk(room, [(alice, "Alice", "not archived"), (bob, "Bob", "nor this")])
        self.assert_unknown(room.split("@")[0])

    def test_archive_off_gives_no_lines(self):
        room = self.room()
        alice, bob = self.room_with(room, ("alice", "Alice"), ("bob", "Bob"))
        self.configure(alice, room, {"muc#roomconfig_persistentroom": "1",
                                     "muc#roomconfig_enablearchiving": "0"})
        self.talk(room, [(alice, "Alice", "off %d" % i) for i in range(3)]
                  + [(bob, "Bob", "off too")])
        code, out, _ = self.mucctl_run("show", room.split("@")[0])
        self.assertEqual(code, 0, "the room is stored: %s" % out)
        self.assertEqual(self.archive(room), [])


if __name__ == "__main__":
    unittest.main()
