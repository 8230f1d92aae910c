"""A failing archive COMMIT, end to end (a real server, the real mucd, real
slixmpp clients; no mocks).

Under the event loop mucd batches the archive appends of one turn and
commits them once, before the turn's output leaves (component/link.c,
"acknowledged = stored"): if that commit fails the whole batch is lost, the
output that shows its messages is withheld, and their senders get an error. The commit is made to fail for real: mucd's
file-size limit (RLIMIT_FSIZE, lowered from outside with ``prlimit --pid``;
mucd ignores SIGXFSZ) is set to the size of the store's data.mdb, so LMDB's
write of the first page beyond the end of the file fails (EFBIG) at commit.

The scenario: three clients in a persistent archived room exchange messages
(each seen by all three); the limit is lowered and messages are sent one at
a time until mucd logs "archive commit failed: withheld ... bytes of output"
(bounded tries); the limit is raised again and more messages go round.

* test_lost_batch_not_shown_not_stored: every message is seen by all three
  clients or by none; the archive (MAM through the live server) holds
  exactly the seen ones, in order, with the stanza-ids the clients saw, and
  not the dropped one; mucd keeps serving after the limit is raised; it
  exits 0 on SIGTERM, the environment opens cleanly (mdb_stat, mucctl), and
  a restarted mucd serves the same archive.
* test_sender_of_lost_message_gets_error: the sender of the dropped
  message gets a resource-constraint error for it (its id) and no echo.
* test_history_lacks_lost_message: the dropped message is not replayed to a
  newcomer as discussion history (the failed commit put the room's history
  back as the archive holds it).
"""

import os
import subprocess
import unittest
from xml.sax.saxutils import quoteattr

from harness import (
    NS_CLIENT, NS_STANZAS, LiveTestCase, Prosody, attr, new_id, q, stanza_kind, stanza_xml,
    wait_until,
)
from muc_helpers import DOMAIN, body_of, is_message
from test_faults import mdb_stat
from test_persistence import MucActions

HOST = Prosody.HOST
PASSWORD = "archive-faults-pw"
WAIT = 10.0
FAIL_MARK = "archive commit failed: withheld"

NS_MAM = "urn:xmpp:mam:2"
NS_RSM = "http://jabber.org/protocol/rsm"
NS_SID = "urn:xmpp:sid:0"
NS_FORWARD = "urn:xmpp:forward:0"
NS_DATA = "jabber:x:data"

PAD = "z" * 1500  # each message needs a page of its own: the file must grow
PRE, AFTER = 9, 6  # messages before the limit and after it is raised
MAX_TRIES = 40     # messages sent under the limit, at most, to see a failure


def prlimit_fsize(pid, soft):
    """Set the soft RLIMIT_FSIZE of ``pid`` (hard limit unchanged); return
    the (soft, hard) read back."""
    subprocess.run(["prlimit", "--pid", str(pid), "--fsize=%s:" % soft],
                   stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=WAIT,
                   check=True)
    res = subprocess.run(["prlimit", "--pid", str(pid), "--fsize", "--raw", "--noheadings",
                          "--output", "SOFT,HARD"], stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=WAIT, check=True)
    return tuple(res.stdout.split())


def sid_of(el):
    sid = el.find(q(NS_SID, "stanza-id"))
    return None if sid is None else sid.get("id")


class ArchiveCommitFaultTest(MucActions, LiveTestCase):
    timeout = WAIT
    users = ("alice", "bob", "carol", "dave")
    nicks = ("Alice", "Bob", "Carol")

    # -- set-up --------------------------------------------------------------

    def start_stack(self):
        self.prosody = self.new_prosody(start=False)
        for user in self.users:
            self.prosody.register(user, PASSWORD)
        self.prosody.start()
        # info: mucd's own log (a regular file, under the same limit) stays
        # far below the size of data.mdb, so the failure can be logged
        self.mucd = self.new_mucd(self.prosody, config={"log": {"level": "info"},
                                                        "limits": {"message_rate": 0}})
        self.room = "faults@" + DOMAIN

    def login(self, user):
        return self.new_client(self.prosody, user=user, password=PASSWORD, register=False)

    def data_mdb(self):
        return os.path.join(self.mucd.store_path, "data.mdb")

    # -- messages --------------------------------------------------------------

    def is_talk(self, mid):
        """Predicate: the room's broadcast of the message with tag ``mid``."""
        return lambda st: (is_message(st) and (attr(st, "from") or "").startswith(self.room + "/")
                           and (body_of(st) or "").startswith(mid + " "))

    def send(self, i, mid):
        client = self.clients[i % 3]
        client.send_raw("<message type='groupchat' to=%s id='%s'><body>%s %s</body></message>"
                        % (quoteattr(self.room), mid, mid, PAD))
        return client

    def saw(self, mid):
        """Wait until all three clients got the broadcast of ``mid`` (left
        queued: seen_sids reads them at the end)."""
        for c in self.clients:
            wait_until(lambda c=c: c.received(self.is_talk(mid)), WAIT,
                       "%s to get the broadcast of %s" % (c.jid, mid))
            self.seen_by[mid].add(c.jid)
        self.order.append(mid)

    def say_seen(self, i, mid):
        self.send(i, mid)
        self.saw(mid)

    def barrier(self):
        """A round trip through mucd for every client: whatever mucd sent
        them before has arrived."""
        for c in self.clients:
            self.assert_result(self.disco_info(c, self.room), "barrier disco#info")

    # -- the scenario --------------------------------------------------------

    def run_scenario(self):
        """Returns the tag of the message whose broadcast was dropped."""
        self.start_stack()
        self.clients = [self.login(u) for u in self.users[:3]]
        self.create_room(self.clients[0], self.room, self.nicks[0],
                         {"muc#roomconfig_persistentroom": 1,
                          "muc#roomconfig_enablearchiving": 1})
        for c, nick in zip(self.clients[1:], self.nicks[1:]):
            self.join(c, self.room, nick)
        for c in self.clients:
            c.drain()
        self.seen_by = {}
        self.order = []  # the tags seen broadcast, in order
        self.all_tags = []
        for i in range(PRE):
            mid = "pre%d-%s" % (i, new_id())
            self.all_tags.append(mid)
            self.seen_by[mid] = set()
            self.say_seen(i, mid)

        size = os.path.getsize(self.data_mdb())
        log_size = os.path.getsize(self.mucd.log_path)
        self.assertLess(log_size + 4096, size, "mucd's log would hit the limit first")
        self.assertEqual(prlimit_fsize(self.mucd.pid, size)[0], str(size))
        self.limit = size
        offset = self.mucd.log_offset()

        dropped = None
        for i in range(MAX_TRIES):
            mid = "try%d-%s" % (i, new_id())
            self.all_tags.append(mid)
            self.seen_by[mid] = set()
            sender = self.send(i, mid)

            def outcome(sender=sender, mid=mid):
                if sender.received(self.is_talk(mid)):
                    return "seen"
                if FAIL_MARK in self.mucd.log_text()[offset:]:
                    return "dropped"
                return None
            if wait_until(outcome, WAIT, "the echo of %s or a failed commit" % mid) == "dropped":
                dropped = mid
                self.dropped_sender = sender
                break
            self.saw(mid)  # a commit that fitted: everybody sees it
        self.assertIsNotNone(dropped, "no commit failed in %d messages under a %d-byte limit"
                             % (MAX_TRIES, size))
        self.fail_log = self.mucd.log_text()[offset:]

        self.assertEqual(prlimit_fsize(self.mucd.pid, "unlimited")[0], "unlimited")
        self.barrier()
        for c in self.clients:
            if c.received(self.is_talk(dropped)):
                self.seen_by[dropped].add(c.jid)
        for i in range(AFTER):
            mid = "after%d-%s" % (i, new_id())
            self.all_tags.append(mid)
            self.seen_by[mid] = set()
            self.say_seen(i, mid)
        self.barrier()
        return dropped

    # -- MAM -------------------------------------------------------------------

    def archive(self, client):
        """[(archive id, tag)] of the whole archive, oldest first (pages of 50)."""
        out, after = [], None
        for page in range(10):
            queryid = new_id("q")
            rsm = "<set xmlns='%s'><max>50</max>%s</set>" % (
                NS_RSM, "" if after is None else "<after>%s</after>" % after)
            reply = client.send_iq_raw(
                "<iq type='set' to='%s' id='%s'><query xmlns='%s' queryid='%s'>%s</query></iq>"
                % (self.room, new_id("mam"), NS_MAM, queryid, rsm), WAIT)
            self.assertEqual(attr(reply, "type"), "result", str(reply))
            fin = stanza_xml(reply).find(q(NS_MAM, "fin"))
            self.assertIsNotNone(fin, str(reply))
            results = client.received(
                lambda st: stanza_kind(st) == "message"
                and stanza_xml(st).find(q(NS_MAM, "result")) is not None
                and stanza_xml(st).find(q(NS_MAM, "result")).get("queryid") == queryid)
            for st in results:
                client.wait_for(lambda s, st=st: s is st, 1.0)
                res = stanza_xml(st).find(q(NS_MAM, "result"))
                inner = res.find(q(NS_FORWARD, "forwarded")).find(q(NS_CLIENT, "message"))
                body = inner.findtext(q(NS_CLIENT, "body")) or ""
                self.assertEqual(sid_of(inner), res.get("id"), str(st))
                out.append((res.get("id"), body.split(" ", 1)[0]))
            if fin.get("complete") == "true":
                return out
            last = fin.find(q(NS_RSM, "set"))
            after = last.findtext(q(NS_RSM, "last")) if last is not None else None
            self.assertIsNotNone(after, str(reply))
        self.fail("the archive did not end in 10 pages")

    def seen_sids(self):
        """{tag: stanza-id} of every broadcast the clients saw (all the same)."""
        sids = {}
        for c in self.clients:
            for st in c.received(lambda s: is_message(s) and body_of(s)):
                tag = body_of(st).split(" ", 1)[0]
                sid = sid_of(stanza_xml(st))
                self.assertEqual(sids.setdefault(tag, sid), sid, "stanza-ids differ: %s" % st)
        return sids

    # -- the tests -------------------------------------------------------------

    def test_lost_batch_not_shown_not_stored(self):
        dropped = self.run_scenario()
        self.assertIn("archive batch: File too large", self.fail_log, self.fail_log)
        everyone = {c.jid for c in self.clients}
        for tag in self.all_tags:  # all or nothing
            self.assertIn(self.seen_by[tag], (set(), everyone), tag)
        self.assertEqual(self.seen_by[dropped], set(), "the dropped broadcast was shown")
        self.assertEqual([t for t in self.all_tags if self.seen_by[t]], self.order)
        self.assertNotIn(dropped, self.order)

        sids = self.seen_sids()
        for client in (self.clients[2], self.clients[0]):
            arch = self.archive(client)
            self.assertEqual([t for _, t in arch], self.order)
            self.assertEqual([i for i, _ in arch], [sids[t] for t in self.order])
            self.assertNotIn(dropped, [t for _, t in arch])

        self.assertTrue(self.mucd.running, self.mucd.log_tail())
        self.ping(self.clients[1])
        self.assertEqual(self.mucd.stop(), 0, self.mucd.log_tail())
        code, out = mdb_stat(self.mucd.store_path, "-e", "-r", "-a")
        self.assertEqual(code, 0, out)
        for db in ("Status of Main DB", "Status of rooms", "Status of archive"):
            self.assertIn(db, out, out)
        self.assertIn("(no active readers)", out, out)
        self.mucctl(self.mucd, "count")

        # a mucd on the same store serves the same archive
        for c in self.clients:
            c.disconnect()
        again = self.new_mucd(self.prosody, store_path=self.mucd.store_path,
                              config={"log": {"level": "info"}})
        self.assertTrue(again.running)
        dave = self.login("dave")
        arch = self.archive(dave)
        self.assertEqual([t for _, t in arch], self.order)
        self.assertEqual([i for i, _ in arch], [sids[t] for t in self.order])

    def test_sender_of_lost_message_gets_error(self):
        """The sender of a message whose broadcast was dropped (its batch's
        commit failed) gets a resource-constraint error for it, as for a
        failed unbatched append."""
        dropped = self.run_scenario()
        sender = self.dropped_sender
        errors = sender.received(lambda st: stanza_kind(st) == "message"
                                 and attr(st, "type") == "error" and attr(st, "id") == dropped)
        self.assertEqual(len(errors), 1, "the sender of %s got no error for its dropped "
                         "message" % dropped)
        err = stanza_xml(errors[0]).find(q(NS_CLIENT, "error"))
        self.assertIsNotNone(err, str(errors[0]))
        self.assertEqual(err.get("type"), "wait", str(errors[0]))
        self.assertIsNotNone(err.find(q(NS_STANZAS, "resource-constraint")), str(errors[0]))
        self.assertEqual(attr(errors[0], "from"), self.room)

    def test_history_lacks_lost_message(self):
        """The dropped message went into the room's in-memory history when it
        was broadcast; the failed commit puts the history back as the
        archive holds it, so a newcomer is not shown it."""
        dropped = self.run_scenario()
        dave = self.login("dave")
        burst = self.join(dave, self.room, "Dave")
        tags = [body_of(st).split(" ", 1)[0] for st in burst if is_message(st) and body_of(st)]
        self.assertNotIn(dropped, tags, "the newcomer got the dropped message %s as "
                         "history" % dropped)
        self.assertTrue(tags)
        self.assertEqual(tags, self.order[-len(tags):], tags)


if __name__ == "__main__":
    unittest.main()
