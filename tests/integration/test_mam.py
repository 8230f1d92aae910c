"""The room archive (XEP-0313, urn:xmpp:mam:2), end to end through a real
server: a persistent room archives its messages; a client that left catches
up with MAM queries in pages of 20 (RSM), each page with the whole count,
complete='true' only on the last, and every archive id equal to the
stanza-id (XEP-0359) the room broadcast. History on join comes from the
archive: after mucd is killed with SIGKILL (no clean unload, so no history
blob written), a newcomer gets the messages that were broadcast, with the
same stanza-ids.
"""

import signal
import unittest
import xml.etree.ElementTree as ET

from harness import LiveTestCase, attr, new_id, q, wait_until
from muc_helpers import DOMAIN, NS_DATA, body_of, is_message
from test_muc_core import SharedStackTestCase
from test_persistence import MucActions

NS_MAM = "urn:xmpp:mam:2"
NS_RSM = "http://jabber.org/protocol/rsm"
NS_SID = "urn:xmpp:sid:0"
NS_FORWARD = "urn:xmpp:forward:0"
NS_MUC_OWNER = "http://jabber.org/protocol/muc#owner"
NS_ROOMCONFIG = "http://jabber.org/protocol/muc#roomconfig"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"
NS_MUC_USER = "http://jabber.org/protocol/muc#user"


def stanza_id(st):
    sid = st.xml.find(q(NS_SID, "stanza-id"))
    return None if sid is None else sid.get("id")


def mam_result(st, queryid):
    res = st.xml.find(q(NS_MAM, "result"))
    return res if res is not None and res.get("queryid") == queryid else None


class MamTest(SharedStackTestCase):
    mucd_config = {"limits": {"message_rate": 0}}

    def make_persistent(self, client, room):
        reply = client.send_iq_raw(
            "<iq type='set' to='%s' id='%s'><query xmlns='%s'><x xmlns='%s' type='submit'>"
            "<field var='FORM_TYPE'><value>%s</value></field>"
            "<field var='muc#roomconfig_persistentroom'><value>1</value></field>"
            "</x></query></iq>" % (room, new_id("cfg"), NS_MUC_OWNER, NS_DATA, NS_ROOMCONFIG))
        self.assertEqual(attr(reply, "type"), "result", str(reply))

    def say(self, client, room, nick, body):
        msg_id = self.groupchat(client, room, body)
        echo = self.wait_groupchat(client, "%s/%s" % (room, nick), msg_id)
        sid = stanza_id(echo)
        self.assertIsNotNone(sid, str(echo))
        return sid

    def query(self, client, room, queryid, after_id=None, max_=20, after=None):
        form = ("<x xmlns='%s' type='submit'><field var='FORM_TYPE' type='hidden'>"
                "<value>%s</value></field>%s</x>"
                % (NS_DATA, NS_MAM, "" if after_id is None else
                   "<field var='after-id'><value>%s</value></field>" % after_id))
        rsm = "<set xmlns='%s'><max>%d</max>%s</set>" % (
            NS_RSM, max_, "" if after is None else "<after>%s</after>" % after)
        reply = client.send_iq_raw("<iq type='set' to='%s' id='%s'><query xmlns='%s' "
                                   "queryid='%s'>%s%s</query></iq>"
                                   % (room, new_id("mam"), NS_MAM, queryid, form, rsm))
        self.assertEqual(attr(reply, "type"), "result", str(reply))
        fin = reply.xml.find(q(NS_MAM, "fin"))
        self.assertIsNotNone(fin, str(reply))
        rset = fin.find(q(NS_RSM, "set"))
        return fin, rset

    def test_catch_up_in_pages(self):
        room = self.room("mam")
        alice, bob = self.room_with(room, ("alice", "Alice"), ("bob", "Bob"))
        self.make_persistent(alice, room)
        info = self.disco_info(bob, room)
        features = [f.get("var") for f in info.xml.iter(q(NS_DISCO_INFO, "feature"))]
        self.assertIn(NS_MAM, features, str(info))

        seen = self.say(alice, room, "Alice", "before Bob leaves")
        self.wait(bob, lambda s: is_message(s, "%s/Alice" % room) and stanza_id(s) == seen,
                  "the last message Bob sees")
        bob.send_raw("<presence type='unavailable' to='%s/Bob'/>" % room)
        self.wait(alice, lambda s: attr(s, "from") == "%s/Bob" % room
                  and attr(s, "type") == "unavailable", "Bob leaving")

        sent = [self.say(alice, room, "Alice", "message %d" % i) for i in range(100)]

        bob.drain()
        got, after, page = [], None, 0
        while True:
            page += 1
            queryid = "catchup%d" % page
            fin, rset = self.query(bob, room, queryid, after_id=seen, after=after)
            results = wait_until(
                lambda: (lambda r: r if len(r) >= min(20, 100 - len(got)) else None)(
                    [s for s in bob.received() if mam_result(s, queryid) is not None]),
                self.timeout, "page %d of results" % page)
            bob.drain()
            ids = [mam_result(s, queryid).get("id") for s in results]
            for s in results:
                fwd = mam_result(s, queryid).find(q(NS_FORWARD, "forwarded"))
                inner = fwd.find(q("jabber:client", "message"))
                self.assertIsNotNone(inner, str(s))
                self.assertEqual(stanza_id_of(inner), mam_result(s, queryid).get("id"))
                self.assertEqual(inner.get("from"), "%s/Alice" % room)
                self.assertNotIn("alice@", str(s))
            self.assertEqual(rset.findtext(q(NS_RSM, "count")), "100")
            self.assertEqual(rset.findtext(q(NS_RSM, "first")), ids[0])
            self.assertEqual(rset.findtext(q(NS_RSM, "last")), ids[-1])
            got.extend(ids)
            last_page = len(got) == 100
            self.assertEqual(fin.get("complete"), "true" if last_page else "false")
            if last_page or page > 6:
                break
            after = ids[-1]
        self.assertEqual(page, 5)
        self.assertEqual(got, sent)


    def test_real_jids_only_to_moderators(self):
        """XEP-0313 §6.1.2 in a semi-anonymous room: the owner (a moderator)
        gets each sender's real JID in the results, a participant none."""
        room = self.room("mamjids")
        alice, bob = self.room_with(room, ("alice", "Alice"), ("bob", "Bob"))
        self.make_persistent(alice, room)
        self.say(bob, room, "Bob", "who am I")
        for client, sees in ((alice, True), (bob, False)):
            client.drain()
            queryid = "jids-%s" % client.jid.split("@")[0]
            self.query(client, room, queryid)
            results = wait_until(
                lambda c=client, qid=queryid: [s for s in c.received()
                                               if mam_result(s, qid) is not None] or None,
                self.timeout, "the result")
            inner = mam_result(results[0], queryid).find(q(NS_FORWARD, "forwarded")).find(
                q("jabber:client", "message"))
            item = inner.find(q(NS_MUC_USER, "x") + "/" + q(NS_MUC_USER, "item"))
            if sees:
                self.assertIsNotNone(item, str(results[0]))
                self.assertEqual(item.get("jid"), bob.full_jid)
            else:
                self.assertIsNone(item, str(results[0]))
                self.assertNotIn("bob@", ET.tostring(inner, encoding="unicode"))


def stanza_id_of(el):
    sid = el.find(q(NS_SID, "stanza-id"))
    return None if sid is None else sid.get("id")


class HistoryAfterCrashTest(MucActions, LiveTestCase):
    timeout = 10.0
    PASSWORD = "mam-crash-pw"

    def test_history_from_archive_after_sigkill(self):
        server = self.new_prosody(start=False)
        for user in ("alice", "bob", "carol"):
            server.register(user, self.PASSWORD)
        server.start()
        mucd = self.new_mucd(server, config={"component": {"reconnect_max": 2},
                                             "limits": {"message_rate": 0}})
        alice, bob, carol = (self.new_client(server, user=u, password=self.PASSWORD,
                                             register=False)
                             for u in ("alice", "bob", "carol"))
        room = "crashhistory@" + DOMAIN
        self.create_room(alice, room, "Alice", {"muc#roomconfig_persistentroom": "1"})
        self.join(bob, room, "Bob")
        seen = []  # (body, stanza-id) as Bob saw them
        for i in range(5):
            body = "before the crash %d" % i
            alice.send_raw("<message type='groupchat' to='%s' id='%s'><body>%s</body>"
                           "</message>" % (room, new_id("m"), body))
            st = bob.wait_for(lambda s, b=body: is_message(s, "%s/Alice" % room)
                              and body_of(s) == b, self.timeout, "Bob to see %r" % body)
            self.assertIsNotNone(stanza_id(st), str(st))
            seen.append((body, stanza_id(st)))
        mucd.signal(signal.SIGKILL)
        self.assertEqual(mucd.wait_exit(self.timeout), -signal.SIGKILL)
        self.wait_component_gone(carol)

        self.new_mucd(server, store_path=mucd.store_path,
                      config={"component": {"reconnect_max": 2}})
        burst = self.join(carol, room, "Carol")
        history = [(body_of(st), stanza_id(st)) for st in burst
                   if is_message(st) and body_of(st)]
        self.assertEqual(history, seen)
        for st in burst:
            if is_message(st) and body_of(st):
                self.assertIsNotNone(st.xml.find(q("urn:xmpp:delay", "delay")), str(st))
                self.assertEqual(attr(st, "from"), "%s/Alice" % room)


if __name__ == "__main__":
    unittest.main()
