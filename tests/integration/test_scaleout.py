"""One MUC domain served by two mucd processes behind ejabberd (issue 9).

ejabberd's top-level ``domain_balancing`` with ``type: bare_destination`` and
``component_number: 2`` hashes the bare ``to`` JID of every stanza for
chat.localhost over the two component connections, so a room and all its
occupant JIDs always reach the same mucd. Both mucd processes share ONE LMDB
directory: persistent rooms, affiliations and the public index are in it, and
so is the live listing of temporary rooms, so whichever process receives the
service's disco#items lists every public room of both.

These tests run in the ejabberd pass of the suite (MUCD_TEST_SERVER=ejabberd;
the Prosody pass has no domain_balancing to test).
"""

import json
import subprocess
import unittest

from harness import Ejabberd, Mucd, attr, new_id, server_kind, wait_until
from muc_helpers import DOMAIN, USERS, is_presence
from test_muc_core import SharedStackTestCase
from test_persistence import mucctl_binary

NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
NS_RSM = "http://jabber.org/protocol/rsm"
N_ROOMS = 12  # all on one process: probability 2 / 2**12


@unittest.skipUnless(server_kind() == "ejabberd",
                     "domain_balancing is ejabberd's: runs in the ejabberd pass")
class ScaleOutTest(SharedStackTestCase):
    """Two mucd processes, one store, one MUC domain."""

    @classmethod
    def setUpClass(cls):
        super(SharedStackTestCase.__mro__[1], cls).setUpClass()  # LiveTestCase's
        cls._class_failed = False
        cls.mucd = None
        cls.mucds = []
        cls.prosody = Ejabberd(extra_config=(
            "domain_balancing:\n"
            "  %s: {type: bare_destination, component_number: 2}\n" % DOMAIN))
        cls.addClassCleanup(cls._stop_all)
        for user in USERS:
            cls.prosody.register(user, cls.password)
        cls.prosody.start()
        limits = {"limits": {"max_rooms_per_creator": 0}}
        first = Mucd(cls.prosody, config=limits)
        second = Mucd(cls.prosody, store_path=first.store_path, config=limits)
        cls.mucds = [first, second]
        for m in cls.mucds:
            m.start()
        cls.mucd = first  # what the shared helpers check for health

    @classmethod
    def _stop_all(cls):
        for m in cls.mucds:
            m.stop()
        reports = [r for m in cls.mucds for r in m.sanitizer_reports()]
        cls.prosody.stop()
        keep = cls._class_failed or bool(reports)
        for m in cls.mucds:
            m.tmp.cleanup(keep)
        cls.prosody.tmp.cleanup(keep)
        if reports:
            raise AssertionError("mucd sanitizer reports:\n%s" % "\n".join(reports[:10]))

    def assert_mucd_healthy(self):
        for m in self.mucds:
            self.assertTrue(m.running, "a mucd died:\n" + m.log_tail())
            self.assertEqual(m.sanitizer_reports(), [], m.log_tail(60))

    # -- helpers ------------------------------------------------------------

    def host_of(self, room):
        """Index of the mucd process that created ``room`` (from its log)."""
        wanted = "room %s created by" % room
        owners = [i for i, m in enumerate(self.mucds) if wanted in m.log_text()]
        self.assertEqual(len(owners), 1, "%s was created by %s" % (room, owners))
        return owners[0]

    def items_pages(self, client, page=5):
        """Every item of the service's disco#items, paged with RSM."""
        jids, after = [], None
        for _ in range(100):
            rsm = "<max>%d</max>%s" % (page, "<after>%s</after>" % after if after else "")
            reply = client.send_iq_raw(
                "<iq type='get' to='%s' id='%s'><query xmlns='%s'><set xmlns='%s'>%s</set>"
                "</query></iq>" % (DOMAIN, new_id("items"), NS_DISCO_ITEMS, NS_RSM, rsm))
            self.assertEqual(attr(reply, "type"), "result", str(reply))
            query = reply.xml.find("{%s}query" % NS_DISCO_ITEMS)
            items = [i.get("jid") for i in query.findall("{%s}item" % NS_DISCO_ITEMS)]
            count = query.find("{%s}set/{%s}count" % (NS_RSM, NS_RSM))
            jids += items
            if len(items) < page:
                return jids, int(count.text) if count is not None else None
            after = items[-1]
        self.fail("disco#items paging did not end")

    def make_persistent(self, client, room):
        self.configure(client, room, persistent=True)

    def configure(self, client, room, persistent=False, name=None):
        fields = "<field var='FORM_TYPE'><value>" \
                 "http://jabber.org/protocol/muc#roomconfig</value></field>"
        fields += "<field var='muc#roomconfig_persistentroom'><value>%d</value></field>" \
                  % (1 if persistent else 0)
        if name:
            fields += "<field var='muc#roomconfig_roomname'><value>%s</value></field>" % name
        reply = client.send_iq_raw(
            "<iq type='set' to='%s' id='%s'><query xmlns='http://jabber.org/protocol/"
            "muc#owner'><x xmlns='jabber:x:data' type='submit'>%s</x></query></iq>"
            % (room, new_id("cfg"), fields))
        self.assertEqual(attr(reply, "type"), "result", str(reply))

    # -- scenarios ----------------------------------------------------------

    def test_rooms_spread_over_both_and_occupants_see_each_other(self):
        rooms = [self.room("-%02d" % i) for i in range(N_ROOMS)]
        alice, bob = self.login("alice"), self.login("bob")
        for room in rooms:
            self.create_instant_room(alice, room, "Alice")
            self.join(bob, room, "Bob")
            self.wait(alice, lambda s, r=room: is_presence(s, r + "/Bob"), "Bob in " + room)
        hosts = {room: self.host_of(room) for room in rooms}
        self.assertEqual(set(hosts.values()), {0, 1},
                         "ejabberd should spread %d rooms over both processes: %s"
                         % (N_ROOMS, hosts))
        for room in rooms:
            msg = self.groupchat(bob, room, "hello from Bob")
            self.wait_groupchat(alice, room + "/Bob", msg)
            self.wait_groupchat(bob, room + "/Bob", msg)

    def test_disco_items_lists_every_room_of_both_once(self):
        alice = self.login("alice")
        rooms = [self.room("-%02d" % i) for i in range(N_ROOMS)]
        for i, room in enumerate(rooms):
            self.create_instant_room(alice, room, "Alice")
            if i % 2:
                self.make_persistent(alice, room)  # stored index; others: live listing
        hosts = {self.host_of(r) for r in rooms}
        self.assertEqual(hosts, {0, 1})
        for client in (alice, self.login("bob")):
            jids, count = self.items_pages(client)
            mine = [j for j in jids if j in rooms]
            self.assertEqual(sorted(mine), sorted(rooms), "every room once: %s" % jids)
            self.assertEqual(len(jids), len(set(jids)), "no room twice: %s" % jids)
            self.assertEqual(count, len(jids))

    def test_a_process_restarts_and_its_persistent_rooms_come_back(self):
        alice = self.login("alice")
        rooms = [self.room("-%02d" % i) for i in range(N_ROOMS)]
        for room in rooms:
            self.create_instant_room(alice, room, "Alice")
            self.configure(alice, room, persistent=True, name="Name of " + room[:12])
        victim = self.host_of(rooms[0])
        on_victim = [r for r in rooms if self.host_of(r) == victim]
        for room in rooms:  # leave: persistent rooms go back to the store
            alice.send_raw("<presence type='unavailable' to='%s/Alice'/>" % room)
            self.wait(alice, lambda s, r=room: is_presence(s, r + "/Alice", "unavailable"),
                      "leaving " + room)
        m = self.mucds[victim]
        m.stop()
        self.assertFalse(m.running)
        m.start()  # waits for "connected" again
        for room in on_victim:
            info = self.disco_info(alice, room)
            self.assertEqual(attr(info, "type"), "result", str(info))
            self.assertIn("Name of " + room[:12], str(info))
        jids, _ = self.items_pages(alice)
        self.assertTrue(set(rooms) <= set(jids), jids)

    def test_concurrent_writes_from_both_processes(self):
        owner = self.login("carol")
        rooms = [self.room("-%02d" % i) for i in range(N_ROOMS)]
        for room in rooms:
            self.create_instant_room(owner, room, "Carol")
            self.make_persistent(owner, room)
        self.assertEqual({self.host_of(r) for r in rooms}, {0, 1})
        # pipelined: member changes in every room, both processes writing at once
        ids = {}
        for k in range(5):
            for room in rooms:
                iq_id = new_id("aff")
                ids[iq_id] = (room, "user%d@localhost" % k)
                owner.send_raw(
                    "<iq type='set' to='%s' id='%s'><query xmlns='http://jabber.org/"
                    "protocol/muc#admin'><item affiliation='member' jid='user%d@localhost'/>"
                    "</query></iq>" % (room, iq_id, k))
        wait_until(lambda: len([s for s in owner.received()
                                if attr(s, "id") in ids]) == len(ids),
                   self.timeout * 2, "every change acknowledged")
        results = [s for s in owner.received() if attr(s, "id") in ids]
        self.assertTrue(all(attr(s, "type") == "result" for s in results),
                        [str(s) for s in results if attr(s, "type") != "result"][:3])
        # the store agrees with what the client was told, read beside both
        out = subprocess.run([mucctl_binary(), "-c", self.mucds[0].config_path, "export"],
                             capture_output=True, text=True, timeout=30, check=True).stdout
        rooms_by_name = {r["name"]: r for r in json.loads(out)}
        for room in rooms:
            rec = rooms_by_name[room.split("@")[0]]
            members = {a["jid"] for a in rec["affiliations"] if a["affiliation"] == "member"}
            self.assertEqual(members, {"user%d@localhost" % k for k in range(5)}, rec)
        status = subprocess.run(["mdb_stat", "-e", self.mucds[0].store_path],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(status.returncode, 0, status.stderr)


if __name__ == "__main__":
    unittest.main()
