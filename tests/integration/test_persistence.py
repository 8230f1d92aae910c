"""Persistent rooms (LMDB) and paged service discovery of mucd, end to end.

Every scenario runs a private Prosody, the real mucd attached to it and
slixmpp clients over c2s. Rooms are created and changed only through mucd
(never by writing the store directly); what survives a restart is checked
through a *new* mucd process opened on the same LMDB directory, and
cross-checked with ``mucctl`` (built next to mucd), which reads the store
read-only, also while mucd runs.

Scenarios:

* persistent rooms (names, descriptions, members, admins, subject,
  members-only) survive a clean mucd restart and a Prosody restart; a
  temporary room does not;
* what mucd acknowledged is stored even if it is killed with SIGKILL in the
  middle of a stream of changes;
* a real client pages through 250 public rooms with XEP-0059 (after,
  before, index, max=0, unknown ids) and without it (XEP-0030 §7 cap);
  hidden rooms never show; temporary rooms merge into the pages;
* a restart with many stored rooms is quick and loads no room eagerly;
* a full store (tiny LMDB map) refuses a submit with resource-constraint
  while mucd keeps serving; a bigger map later keeps every acknowledged room.
"""

import json
import os
import signal
import subprocess
import sys
import time
import unittest
from xml.sax.saxutils import escape, quoteattr

from harness import (
    CONNECTED_MARKER, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MUC, NS_PING, NS_STANZAS, Client,
    HarnessError,
    LiveTestCase, Mucd, Prosody, Server, attr, error_of, mucd_binary, new_id, q, show,
    stanza_kind, stanza_xml, wait_until,
)
from muc_helpers import (
    DOMAIN, NS_DATA, NS_MUC_ADMIN, NS_MUC_OWNER, NS_ROOMCONFIG, BurstWaits, from_room,
    is_subject, muc_item, status_codes, subject_el,
)

HOST = Prosody.HOST
PASSWORD = "persist-pw"

NS_RSM = "http://jabber.org/protocol/rsm"
NS_ROOMINFO = NS_MUC + "#roominfo"

STATUS_SELF, STATUS_CREATED = 110, 201

# A generous bound for every wait: other suites may share the two cores.
WAIT = 10.0


def mucctl_binary():
    """mucctl is built next to the mucd under test."""
    return os.path.join(os.path.dirname(os.path.abspath(mucd_binary())), "mucctl")


# ---------------------------------------------------------------------------
# Reading stanzas
# ---------------------------------------------------------------------------

def is_presence_from(st, frm, ptype=None):
    return stanza_kind(st) == "presence" and attr(st, "from") == frm and attr(st, "type") == ptype


def config_form(fields):
    """A muc#roomconfig submit form; a list value gives several <value/>s."""
    parts = ["<field var='FORM_TYPE' type='hidden'><value>%s</value></field>" % NS_ROOMCONFIG]
    for var, value in fields.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        parts.append("<field var=%s>%s</field>" % (
            quoteattr(var), "".join("<value>%s</value>" % escape(str(v)) for v in values)))
    return "<x xmlns='%s' type='submit'>%s</x>" % (NS_DATA, "".join(parts))


def room_info(reply):
    """(identity name, features, muc#roominfo fields) of a room's disco#info."""
    query = stanza_xml(reply).find(q(NS_DISCO_INFO, "query"))
    if query is None:
        raise AssertionError("no disco#info <query/> in %s" % reply)
    ids = query.findall(q(NS_DISCO_INFO, "identity"))
    name = ids[0].get("name") if ids else None
    features = [f.get("var") for f in query.findall(q(NS_DISCO_INFO, "feature"))]
    fields = {}
    for x in query.findall(q(NS_DATA, "x")):
        for f in x.findall(q(NS_DATA, "field")):
            vals = [v.text or "" for v in f.findall(q(NS_DATA, "value"))]
            fields[f.get("var")] = vals[0] if len(vals) == 1 else vals
    return name, features, fields


def items_page(reply):
    """([(jid, name)], rsm) of a disco#items result; rsm is None without <set/>,
    else a dict first, first_index, last, count (None when absent)."""
    query = stanza_xml(reply).find(q(NS_DISCO_ITEMS, "query"))
    if query is None:
        raise AssertionError("no disco#items <query/> in %s" % reply)
    items = [(i.get("jid"), i.get("name")) for i in query.findall(q(NS_DISCO_ITEMS, "item"))]
    s = query.find(q(NS_RSM, "set"))
    if s is None:
        return items, None
    first = s.find(q(NS_RSM, "first"))
    count = s.findtext(q(NS_RSM, "count"))
    rsm = {
        "first": first.text if first is not None else None,
        "first_index": (int(first.get("index")) if first is not None and first.get("index")
                        is not None else None),
        "last": s.findtext(q(NS_RSM, "last")),
        "count": int(count) if count is not None else None,
    }
    return items, rsm


# ---------------------------------------------------------------------------
# Client-side MUC actions (shared by every test class)
# ---------------------------------------------------------------------------

class MucActions(BurstWaits):
    """Helpers that drive mucd through a client; ``self`` is a TestCase."""

    def send_join(self, client, room, nick):
        client.send_raw("<presence to=%s><x xmlns='%s'/></presence>"
                        % (quoteattr("%s/%s" % (room, nick)), NS_MUC))

    def join(self, client, room, nick):
        """Enter ``room``; return the join burst (presences ... subject)."""
        self.send_join(client, room, nick)
        me = "%s/%s" % (room, nick)
        burst = self.take_through(
            client, lambda st: is_subject(st, room) or is_presence_from(st, me, "error"),
            "%s to enter %s" % (client.jid, me),
            relevant=from_room(room))
        self.assertFalse(is_presence_from(burst[-1], me, "error"),
                         "entering %s failed: %s" % (me, burst[-1]))
        return burst

    def join_error(self, client, room, nick):
        self.send_join(client, room, nick)
        me = "%s/%s" % (room, nick)
        return client.wait_for(lambda s: is_presence_from(s, me, "error") or is_presence_from(s, me),
                               WAIT, "an answer to entering %s" % me)

    def leave(self, client, room, nick):
        me = "%s/%s" % (room, nick)
        client.send_raw("<presence type='unavailable' to=%s/>" % quoteattr(me))
        client.wait_for(lambda s: is_presence_from(s, me, "unavailable"), WAIT,
                        "%s's own unavailable presence" % me)

    def iq(self, client, iq_type, to, payload, iq_id=None):
        iq_id = iq_id or new_id(iq_type)
        return client.send_iq_raw("<iq type='%s' to=%s id='%s'>%s</iq>"
                                  % (iq_type, quoteattr(to), iq_id, payload), WAIT)

    def assert_result(self, reply, what=""):
        self.assertEqual(attr(reply, "type"), "result", "%s: %s" % (what, reply))
        return reply

    def assert_error(self, reply, err_type, condition, what=""):
        self.assertEqual(attr(reply, "type"), "error", "%s: %s" % (what, reply))
        err = error_of(reply)
        self.assertIsNotNone(err, "no <error/> in %s" % reply)
        self.assertEqual(err[:3], (err_type, condition, NS_STANZAS), "%s: %s" % (what, reply))

    def configure(self, client, room, fields):
        """Submit the owner configuration form; return the reply (not asserted)."""
        return self.iq(client, "set", room,
                       "<query xmlns='%s'>%s</query>" % (NS_MUC_OWNER, config_form(fields)))

    def set_affiliations(self, client, room, pairs):
        """muc#admin set of ``[(bare jid, affiliation)]``; return the reply."""
        items = "".join("<item affiliation='%s' jid=%s/>" % (aff, quoteattr(jid))
                        for jid, aff in pairs)
        return self.iq(client, "set", room, "<query xmlns='%s'>%s</query>" % (NS_MUC_ADMIN, items))

    def affiliation_list(self, client, room, aff):
        reply = self.assert_result(self.iq(
            client, "get", room,
            "<query xmlns='%s'><item affiliation='%s'/></query>" % (NS_MUC_ADMIN, aff)),
            "%s list of %s" % (aff, room))
        query = stanza_xml(reply).find(q(NS_MUC_ADMIN, "query"))
        items = query.findall(q(NS_MUC_ADMIN, "item")) if query is not None else []
        for it in items:
            self.assertEqual(it.get("affiliation"), aff, str(reply))
        return sorted(it.get("jid") for it in items)

    def disco_info(self, client, jid):
        return self.iq(client, "get", jid, "<query xmlns='%s'/>" % NS_DISCO_INFO)

    def disco_items(self, client, rsm=None, to=DOMAIN):
        payload = "" if rsm is None else "<set xmlns='%s'>%s</set>" % (NS_RSM, rsm)
        return self.iq(client, "get", to, "<query xmlns='%s'>%s</query>" % (NS_DISCO_ITEMS, payload))

    def ping(self, client):
        reply = self.iq(client, "get", DOMAIN, "<ping xmlns='%s'/>" % NS_PING)
        self.assert_result(reply, "ping")
        return reply

    def set_subject(self, client, room, subject):
        msg_id = new_id("subj")
        client.send_raw("<message type='groupchat' to=%s id='%s'><subject>%s</subject></message>"
                        % (quoteattr(room), msg_id, escape(subject)))
        st = client.wait_for(
            lambda s: (is_subject(s, room) and attr(s, "id") == msg_id)
            or (stanza_kind(s) == "message" and attr(s, "type") == "error"
                and attr(s, "from") == room),
            WAIT, "the subject change of %s echoed" % room)
        self.assertEqual(attr(st, "type"), "groupchat", "subject change refused: %s" % st)
        self.assertEqual(subject_el(st).text, subject, str(st))

    def create_room(self, client, room, nick, fields):
        """Join (creating a locked room), then submit ``fields``; asserts both."""
        burst = self.join(client, room, nick)
        own = [s for s in burst if is_presence_from(s, "%s/%s" % (room, nick))]
        self.assertTrue(own and STATUS_CREATED in status_codes(own[-1]),
                        "%s should be created by this join:\n%s" % (room, show(burst)))
        self.assert_result(self.configure(client, room, fields), "configuring %s" % room)
        client.drain()

    def wait_component_gone(self, client):
        """Wait until Prosody itself answers a ping for the domain. A ping that
        Prosody forwarded to the dying component before it noticed the
        closed socket gets no answer at all, so each try has a short bound."""
        def gone():
            try:
                reply = client.send_iq_raw("<iq type='get' to='%s' id='%s'><ping xmlns='%s'/>"
                                           "</iq>" % (DOMAIN, new_id("gone"), NS_PING), 1.5)
            except HarnessError:
                return False
            return attr(reply, "type") == "error"
        wait_until(gone, 2 * WAIT, "Prosody to notice that mucd is gone", interval=0.1)

    # -- mucctl ------------------------------------------------------------

    def mucctl(self, mucd, *args, check=True):
        """Run ``mucctl -c <mucd's config> ARGS``; return (exit code, stdout)."""
        res = subprocess.run([mucctl_binary(), "-c", mucd.config_path] + list(args),
                             stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             timeout=WAIT)
        for marker in Mucd.SANITIZER_MARKERS:
            self.assertNotIn(marker, res.stderr, "mucctl %s: %s" % (args, res.stderr))
        if check:
            self.assertEqual(res.returncode, 0, "mucctl %s failed (%d): %s%s"
                             % (" ".join(args), res.returncode, res.stdout, res.stderr))
        return res.returncode, res.stdout

    def mucctl_export(self, mucd):
        """``mucctl export`` parsed: {room name: record}."""
        _, out = self.mucctl(mucd, "export")
        try:
            rooms = json.loads(out)
        except ValueError as e:
            self.fail("mucctl export is not JSON (%s):\n%s" % (e, out[:2000]))
        self.assertIsInstance(rooms, list, out[:2000])
        return {r["name"]: r for r in rooms}


def affs_by_kind(record):
    """{affiliation: sorted jids} of a mucctl room record."""
    out = {}
    for a in record["affiliations"]:
        out.setdefault(a["affiliation"], []).append(a["jid"])
    return {k: sorted(v) for k, v in out.items()}


def log_errors(mucd, offset=0):
    """mucd's ERROR lines written at or after ``offset``."""
    return [line for line in mucd.log_text()[offset:].splitlines() if " ERROR " in line]


# ---------------------------------------------------------------------------
# 1, 2: persistent rooms survive restarts
# ---------------------------------------------------------------------------

ROOMS = {
    "alpha@" + DOMAIN: {
        "name": "Alpha Room", "desc": "The first room", "subject": "Alpha: plans for today",
        "members_only": False, "members": ["bob@localhost", "carol@localhost"],
        "admins": ["dave@localhost"], "form_admins": False, "stay": True,
    },
    "beta@" + DOMAIN: {
        "name": "Beta \u2013 members only", "desc": "Only for members",
        "subject": "Beta subject", "members_only": True, "members": ["bob@localhost"],
        "admins": [], "form_admins": False, "stay": False,
    },
    "gamma@" + DOMAIN: {
        "name": 'G\u00e4mma <&> "room"', "desc": "\u00dcn\u00efcode & <markup> \U0001F600",
        "subject": "Sujet d'\u00e9t\u00e9 \u2713 <b>&amp;</b>", "members_only": False,
        "members": ["frank@localhost", "grace@localhost"], "admins": ["erin@localhost"],
        "form_admins": True, "stay": False,
    },
}
TEMP_ROOM = "tempo@" + DOMAIN
OWNER = "alice@" + HOST


class RestartTest(MucActions, LiveTestCase):
    """Scenarios 1 and 2: what a restart of mucd or of Prosody keeps."""

    timeout = WAIT

    def start_stack(self):
        self.prosody = self.new_prosody(start=False)
        for user in ("alice", "bob", "carol"):
            self.prosody.register(user, PASSWORD)
        self.prosody.start()
        self.mucd = self.new_mucd(self.prosody, config={"component": {"reconnect_max": 2}})

    def login(self, user, resource="it"):
        return self.new_client(self.prosody, user=user, password=PASSWORD, register=False,
                               resource=resource)

    def build_rooms(self, alice):
        """The three persistent rooms of :data:`ROOMS` and a temporary one."""
        for room, spec in ROOMS.items():
            fields = {
                "muc#roomconfig_persistentroom": "1",
                "muc#roomconfig_roomname": spec["name"],
                "muc#roomconfig_roomdesc": spec["desc"],
                "muc#roomconfig_membersonly": "1" if spec["members_only"] else "0",
            }
            if spec["form_admins"]:
                fields["muc#roomconfig_roomadmins"] = spec["admins"]
            self.create_room(alice, room, "Alice", fields)
            pairs = [(j, "member") for j in spec["members"]]
            if not spec["form_admins"]:
                pairs += [(j, "admin") for j in spec["admins"]]
            self.assert_result(self.set_affiliations(alice, room, pairs),
                               "affiliations of %s" % room)
            self.set_subject(alice, room, spec["subject"])
            if not spec["stay"]:
                self.leave(alice, room, "Alice")
        self.create_room(alice, TEMP_ROOM, "Alice", {})  # instant, temporary
        self.assertIn("muc_temporary", room_info(self.disco_info(alice, TEMP_ROOM))[1])
        alice.drain()

    def verify_rooms(self, mucd):
        """Everything of :data:`ROOMS` is there, through a new session."""
        alice = self.login("alice", resource="after")
        for room, spec in ROOMS.items():
            reply = self.assert_result(self.disco_info(alice, room), "disco#info of %s" % room)
            name, features, info = room_info(reply)
            self.assertEqual(name, spec["name"], str(reply))
            self.assertIn("muc_persistent", features, str(reply))
            self.assertNotIn("muc_temporary", features, str(reply))
            self.assertIn("muc_membersonly" if spec["members_only"] else "muc_open",
                          features, str(reply))
            self.assertNotIn("muc_open" if spec["members_only"] else "muc_membersonly",
                             features, str(reply))
            self.assertEqual(info.get("FORM_TYPE"), NS_ROOMINFO, str(reply))
            self.assertEqual(info.get("muc#roominfo_subject"), spec["subject"], str(reply))
            self.assertEqual(info.get("muc#roominfo_description"), spec["desc"], str(reply))
            self.assertEqual(info.get("muc#roomconfig_roomname"), spec["name"], str(reply))

            self.assertEqual(self.affiliation_list(alice, room, "member"), sorted(spec["members"]))
            self.assertEqual(self.affiliation_list(alice, room, "admin"), sorted(spec["admins"]))
            self.assertEqual(self.affiliation_list(alice, room, "owner"), [OWNER])

            burst = self.join(alice, room, "Alice")
            own = [s for s in burst if is_presence_from(s, room + "/Alice")]
            self.assertTrue(own, show(burst))
            self.assertNotIn(STATUS_CREATED, status_codes(own[-1]),
                             "the room existed, the join must not create it:\n" + show(burst))
            self.assertEqual(muc_item(own[-1]).get("affiliation"), "owner", show(burst))
            self.assertEqual(subject_el(burst[-1]).text, spec["subject"], show(burst))
            self.leave(alice, room, "Alice")

        # The temporary room is gone.
        reply = self.disco_info(alice, TEMP_ROOM)
        self.assert_error(reply, "cancel", "item-not-found", "disco#info of the temporary room")
        code, _ = self.mucctl(mucd, "show", "tempo", check=False)
        self.assertEqual(code, 1, "the temporary room must not be stored")

        # Members-only is enforced from the stored affiliations.
        bob, carol = self.login("bob"), self.login("carol")
        beta = "beta@" + DOMAIN
        burst = self.join(bob, beta, "Bob")
        own = [s for s in burst if is_presence_from(s, beta + "/Bob")]
        self.assertEqual(muc_item(own[-1]).get("affiliation"), "member", show(burst))
        err = self.join_error(carol, beta, "Carol")
        self.assert_error(err, "auth", "registration-required", "non-member entering beta")

        # mucctl agrees (read-only beside the running mucd).
        stored = self.mucctl_export(mucd)
        self.assertNotIn("tempo", stored)
        for room, spec in ROOMS.items():
            rec = stored.get(room.split("@")[0])
            self.assertIsNotNone(rec, "%s missing from mucctl export: %s" % (room, sorted(stored)))
            self.assertEqual((rec["title"], rec["description"], rec["subject"],
                              rec["members_only"]),
                             (spec["name"], spec["desc"], spec["subject"], spec["members_only"]))
            affs = affs_by_kind(rec)
            self.assertEqual(affs.get("member", []), sorted(spec["members"]), rec)
            self.assertEqual(affs.get("admin", []), sorted(spec["admins"]), rec)
            self.assertEqual(affs.get("owner", []), [OWNER], rec)

    def test_rooms_survive_mucd_restart(self):
        self.start_stack()
        alice = self.login("alice")
        self.build_rooms(alice)
        self.assertEqual(self.mucd.stop(), 0, self.mucd.log_tail())
        mucd2 = self.new_mucd(self.prosody, store_path=self.mucd.store_path,
                              config={"component": {"reconnect_max": 2}})
        alice.drain()
        self.verify_rooms(mucd2)
        self.assertEqual(log_errors(mucd2), [], mucd2.log_tail())

    def test_rooms_survive_prosody_restart(self):
        self.start_stack()
        alice = self.login("alice")
        self.build_rooms(alice)
        alice.disconnect()
        offset = self.mucd.log_offset()
        self.prosody.restart()
        self.mucd.wait_log(CONNECTED_MARKER, timeout=15, offset=offset)
        self.assertTrue(self.mucd.running, self.mucd.log_tail())
        self.verify_rooms(self.mucd)
        self.assertEqual(log_errors(self.mucd), [], self.mucd.log_tail())


# ---------------------------------------------------------------------------
# 3: acknowledged = stored, under SIGKILL
# ---------------------------------------------------------------------------

class CrashTest(MucActions, LiveTestCase):
    """Scenario 3: kill -9 in the middle of a stream of acknowledged changes."""

    timeout = WAIT
    CHANGES = 200
    KILL_AFTER_ACKS = 40

    def test_acknowledged_changes_survive_sigkill(self):
        prosody = self.new_prosody(start=False)
        prosody.register("alice", PASSWORD)
        prosody.start()
        mucd = self.new_mucd(prosody, config={"component": {"reconnect_max": 2}})
        alice = self.new_client(prosody, user="alice", password=PASSWORD, register=False)
        room = "crash@" + DOMAIN
        self.create_room(alice, room, "Alice", {"muc#roomconfig_persistentroom": "1",
                                               "muc#roomconfig_roomname": "Crash start"})
        # Out of the room: each change loads it from the store, writes, unloads.
        self.leave(alice, room, "Alice")
        alice.drain()

        def name_of(i):
            return "Crash name %03d" % i

        def member_of(i):
            return "member%03d@localhost" % i

        # The whole stream is written at once, so that when the SIGKILL comes
        # (as soon as KILL_AFTER_ACKS results are in) mucd is in the middle
        # of it, with later changes read, in its buffers or in flight.
        sent = {}  # iq id -> (index, kind)
        burst = []
        for i in range(self.CHANGES):
            iq_id = "chg-%03d" % i
            if i % 2 == 0:
                payload = "<query xmlns='%s'>%s</query>" % (
                    NS_MUC_OWNER, config_form({"muc#roomconfig_roomname": name_of(i)}))
            else:
                payload = "<query xmlns='%s'><item affiliation='member' jid='%s'/></query>" % (
                    NS_MUC_ADMIN, member_of(i))
            burst.append("<iq type='set' to='%s' id='%s'>%s</iq>" % (room, iq_id, payload))
            sent[iq_id] = (i, "name" if i % 2 == 0 else "member")
        alice.send_raw("".join(burst))

        def results():
            return len(alice.received(lambda s: stanza_kind(s) == "iq"
                                      and attr(s, "type") == "result"))
        wait_until(lambda: results() >= self.KILL_AFTER_ACKS, WAIT,
                   "%d acknowledgements" % self.KILL_AFTER_ACKS, interval=0.001)
        mucd.signal(signal.SIGKILL)
        acked_at_kill = results()
        self.assertEqual(mucd.wait_exit(WAIT), -signal.SIGKILL)

        # Replies still in flight arrive; the rest get errors from Prosody or
        # were lost with mucd (no reply at all: not acknowledged).
        def replies():
            return {attr(s, "id"): attr(s, "type") for s in alice.received(
                lambda s: stanza_kind(s) == "iq" and attr(s, "id") in sent)}
        deadline, last_n, quiet_since = time.monotonic() + WAIT, -1, time.monotonic()
        while time.monotonic() < deadline:
            n = len(replies())
            if n == len(sent):
                break
            if n != last_n:
                last_n, quiet_since = n, time.monotonic()
            elif time.monotonic() - quiet_since > 2.0:
                break
            time.sleep(0.05)
        got = replies()
        acked = sorted(sent[i][0] for i, t in got.items() if t == "result")
        self.assertGreaterEqual(len(acked), self.KILL_AFTER_ACKS, got)
        # Acknowledgements come in order: they are a prefix of the stream.
        self.assertEqual(acked, list(range(len(acked))), "acknowledged: %s" % acked)
        acked_members = [member_of(i) for i in acked if i % 2 == 1]
        acked_names = [i for i in acked if i % 2 == 0]
        last_acked_name = max(acked_names)
        print("\n  crash test: %d sent, SIGKILL with %d results in, %d acknowledged in all"
              % (len(sent), acked_at_kill, len(acked)), file=sys.stderr)

        self.wait_component_gone(alice)
        alice.drain()
        mucd2 = self.new_mucd(prosody, store_path=mucd.store_path,
                              config={"component": {"reconnect_max": 2}})
        self.assertIn(CONNECTED_MARKER, mucd2.log_text())
        self.assertEqual(log_errors(mucd2), [], mucd2.log_tail())

        reply = self.assert_result(self.disco_info(alice, room), "disco#info after the crash")
        name, features, _ = room_info(reply)
        self.assertIn("muc_persistent", features, str(reply))
        self.assertTrue(name and name.startswith("Crash name "), str(reply))
        stored_name_index = int(name.rsplit(" ", 1)[1])
        self.assertGreaterEqual(stored_name_index, last_acked_name,
                                "the room is named %r but %r was acknowledged"
                                % (name, name_of(last_acked_name)))
        self.assertIn(stored_name_index, [i for i, _ in sent.values()], name)

        members = self.affiliation_list(alice, room, "member")
        print("  after restart: named %r, %d members (%d acknowledged); replies: %d results, "
              "%d errors, %d none" % (name, len(members), len(acked_members), len(acked),
                                      sum(1 for t in got.values() if t == "error"),
                                      len(sent) - len(got)), file=sys.stderr)
        missing = sorted(set(acked_members) - set(members))
        self.assertEqual(missing, [], "acknowledged members lost by the crash")
        all_sent = {member_of(i) for i, kind in sent.values() if kind == "member"}
        self.assertEqual(sorted(set(members) - all_sent), [], members)
        self.assertEqual(self.affiliation_list(alice, room, "owner"), [OWNER])

        stored = self.mucctl_export(mucd2)
        rec = stored.get("crash")
        self.assertIsNotNone(rec, sorted(stored))
        self.assertEqual(rec["title"], name)
        affs = affs_by_kind(rec)
        self.assertEqual(affs.get("member", []), members, rec)
        self.assertEqual(affs.get("owner", []), [OWNER], rec)

        # The reopened store takes new writes.
        self.assert_result(self.configure(alice, room, {"muc#roomconfig_roomname": "After"}))
        _, out = self.mucctl(mucd2, "show", "crash")
        self.assertEqual(json.loads(out)["title"], "After")


# ---------------------------------------------------------------------------
# 4, 5: paging through 250 rooms; restart with many rooms
# ---------------------------------------------------------------------------

N_ROOMS = 250
PAGE = 20
MAX_DISCO_ITEMS = 50
HIDDEN = ("r050h", "r199h")  # persistent but publicroom=0, sorted among the public ones


def room_jid(i):
    # Fixed width: localpart order and JID order are the same.
    return "r%03d@%s" % (i, DOMAIN)


def room_title(i):
    return "Room number %03d" % i


class PagingTest(MucActions, LiveTestCase):
    """Scenarios 4 and 5. One Prosody + mucd (max_disco_items = 50) for the
    class; the 250 public persistent rooms are created once, through mucd,
    by one client with pipelined join / configure / leave."""

    timeout = WAIT
    # one owner creates all 250 rooms: lift the rooms-per-creator limit
    mucd_config = {"muc": {"max_disco_items": MAX_DISCO_ITEMS},
                   "component": {"reconnect_max": 2},
                   "limits": {"max_rooms_per_creator": 0}}
    _class_failed = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._class_failed = False
        cls.mucds = []
        cls.owner = None
        cls.prosody = Server()
        cls.addClassCleanup(cls._stop_stack)
        cls.prosody.register("alice", PASSWORD)
        cls.prosody.register("bob", PASSWORD)
        cls.prosody.start()
        cls.mucd = Mucd(cls.prosody, config=cls.mucd_config)
        cls.mucds.append(cls.mucd)
        cls.mucd.start()
        cls.owner = Client("alice@%s/owner" % HOST, PASSWORD, cls.prosody.c2s_port, timeout=WAIT)
        cls.owner.connect()
        started = time.monotonic()
        cls._create_rooms(cls.owner)
        cls.create_seconds = time.monotonic() - started
        cls.expected = [(room_jid(i), room_title(i)) for i in range(N_ROOMS)]

    @classmethod
    def _create_rooms(cls, c):
        """join + submit(persistent, public, name) + leave for every room,
        pipelined in chunks; every submit must be acknowledged."""
        specs = [(room_jid(i), {"muc#roomconfig_persistentroom": "1",
                                "muc#roomconfig_publicroom": "1",
                                "muc#roomconfig_roomname": room_title(i)})
                 for i in range(N_ROOMS)]
        specs += [("%s@%s" % (h, DOMAIN), {"muc#roomconfig_persistentroom": "1",
                                           "muc#roomconfig_publicroom": "0",
                                           "muc#roomconfig_roomname": "Hidden " + h})
                  for h in HIDDEN]
        chunk = 50
        for start in range(0, len(specs), chunk):
            part = specs[start:start + chunk]
            ids = {}
            out = []
            for room, fields in part:
                iq_id = new_id("mk")
                ids[iq_id] = room
                out.append("<presence to='%s/Owner'><x xmlns='%s'/></presence>" % (room, NS_MUC))
                out.append("<iq type='set' to='%s' id='%s'><query xmlns='%s'>%s</query></iq>"
                           % (room, iq_id, NS_MUC_OWNER, config_form(fields)))
                out.append("<presence type='unavailable' to='%s/Owner'/>" % room)
            c.send_raw("".join(out))

            def answered():
                got = [s for s in c.received(lambda s: stanza_kind(s) == "iq")
                       if attr(s, "id") in ids]
                return got if len(got) == len(ids) else None
            replies = wait_until(answered, 30, "%d room configurations answered" % len(ids))
            bad = [str(s) for s in replies if attr(s, "type") != "result"]
            if bad:
                raise AssertionError("room creation refused:\n" + "\n".join(bad[:5]))
            # The last room's own unavailable presence: the whole chunk is done.
            last = part[-1][0] + "/Owner"
            c.wait_for(lambda s: is_presence_from(s, last, "unavailable"), WAIT,
                       "leaving %s" % last)
            c.drain()

    @classmethod
    def _stop_stack(cls):
        reports = []
        if cls.owner is not None:
            cls.owner.disconnect()
        for m in cls.mucds:
            m.stop()
            reports += m.sanitizer_reports()
        cls.prosody.stop()
        keep = cls._class_failed or bool(reports)
        for m in cls.mucds:
            if keep:
                print("\n--- mucd log tail (%s) ---\n%s" % (m.log_path, m.log_tail(40)),
                      file=sys.stderr)
            m.tmp.cleanup(keep)
        cls.prosody.tmp.cleanup(keep)
        if reports:
            raise AssertionError("mucd sanitizer reports:\n%s" % "\n".join(reports[:10]))

    def run(self, result=None):
        if result is None:
            result = self.defaultTestResult()
        bad_before = self._bad_count(result)
        try:
            return super().run(result)
        finally:
            if self._bad_count(result) > bad_before:
                type(self)._class_failed = True

    def setUp(self):
        self.assertTrue(self.mucd.running, "mucd is not running:\n" + self.mucd.log_tail())
        self.client = self.new_client(self.prosody, user="bob", password=PASSWORD,
                                      register=False, resource=new_id("r"))

    def tearDown(self):
        self.assertTrue(self.mucd.running, "mucd died:\n" + self.mucd.log_tail())
        self.assertEqual(self.mucd.sanitizer_reports(), [], self.mucd.log_tail(60))

    # -- helpers -----------------------------------------------------------

    def page(self, rsm=None):
        reply = self.disco_items(self.client, rsm)
        self.assert_result(reply, "disco#items %s" % rsm)
        self.assertEqual(attr(reply, "from"), DOMAIN, str(reply))
        return items_page(reply)

    def page_forward(self, size=PAGE):
        """Every page from the start with <max>size</max> and <after/>."""
        pages, after = [], None
        for _ in range(N_ROOMS):  # bound: never loop forever
            rsm = "<max>%d</max>" % size + ("<after>%s</after>" % after if after else "")
            items, info = self.page(rsm)
            self.assertIsNotNone(info, "a request with <set/> gets a <set/> back")
            pages.append((items, info))
            if not items:
                self.assertIsNone(info["first"], info)
                self.assertIsNone(info["last"], info)
                break
            self.assertLessEqual(len(items), size)
            self.assertEqual((info["first"], info["last"]), (items[0][0], items[-1][0]), info)
            if len(items) < size:
                break
            after = info["last"]
        return pages

    def page_backward(self, size=PAGE):
        """Every page from the end with <before/> then <before>first</before>."""
        pages, before = [], ""
        for _ in range(N_ROOMS):
            items, info = self.page("<max>%d</max><before>%s</before>" % (size, before))
            self.assertIsNotNone(info)
            pages.append((items, info))
            if not items:
                break
            self.assertEqual((info["first"], info["last"]), (items[0][0], items[-1][0]), info)
            if len(items) < size:
                break
            before = info["first"]
        return pages

    def assert_listing(self, pages, expected):
        flat = [it for items, _ in pages for it in items]
        jids = [j for j, _ in flat]
        dups = sorted({j for j in jids if jids.count(j) > 1})
        self.assertEqual(dups, [], "rooms listed more than once")
        self.assertEqual(jids, sorted(jids), "not in JID order")
        self.assertEqual(flat, expected)
        for _, info in pages:
            self.assertEqual(info["count"], len(expected), info)
        for h in HIDDEN:
            self.assertNotIn("%s@%s" % (h, DOMAIN), jids)

    # -- scenario 4 ----------------------------------------------------------

    def test_forward_paging_lists_every_room_once_in_order(self):
        print("\n  created %d rooms in %.1f s" % (N_ROOMS + len(HIDDEN), self.create_seconds),
              file=sys.stderr)
        pages = self.page_forward()
        self.assertEqual(pages[0][1]["first_index"], 0, pages[0][1])
        self.assertEqual(pages[0][1]["first"], room_jid(0))
        self.assertEqual(len(pages), -(-N_ROOMS // PAGE), [len(p[0]) for p in pages])
        self.assert_listing(pages, self.expected)

    def test_after_the_last_room_is_an_empty_page_with_count(self):
        items, info = self.page("<max>%d</max><after>%s</after>" % (PAGE, room_jid(N_ROOMS - 1)))
        self.assertEqual(items, [])
        self.assertEqual(info, {"first": None, "first_index": None, "last": None,
                                "count": N_ROOMS})

    def test_empty_before_gives_the_last_page(self):
        items, info = self.page("<max>%d</max><before/>" % PAGE)
        self.assertEqual(items, self.expected[-PAGE:])
        self.assertEqual(info["count"], N_ROOMS, info)
        self.assertEqual((info["first"], info["last"]),
                         (self.expected[-PAGE][0], self.expected[-1][0]), info)
        if info["first_index"] is not None:
            self.assertEqual(info["first_index"], N_ROOMS - PAGE, info)

    def test_backward_paging_lists_every_room_once(self):
        pages = self.page_backward()
        pages.reverse()
        self.assert_listing(pages, self.expected)

    def test_index_and_max_zero(self):
        items, info = self.page("<max>%d</max><index>40</index>" % PAGE)
        self.assertEqual(items, self.expected[40:40 + PAGE])
        self.assertEqual(info["first_index"], 40, info)
        items, info = self.page("<max>0</max>")
        self.assertEqual(items, [])
        self.assertEqual(info["count"], N_ROOMS, info)

    def test_unknown_after_is_item_not_found(self):
        for after in ("nosuchroom@" + DOMAIN, "r250@" + DOMAIN, "%s@%s" % (HIDDEN[0], DOMAIN),
                      "r001@elsewhere.example", "not-a-jid"):
            reply = self.disco_items(self.client, "<max>%d</max><after>%s</after>" % (PAGE, after))
            self.assert_error(reply, "cancel", "item-not-found", "after=%s" % after)
        self.ping(self.client)

    def test_without_rsm_the_reply_is_capped_and_has_a_set(self):
        items, info = self.page()
        self.assertEqual(len(items), MAX_DISCO_ITEMS, "at most [muc] max_disco_items")
        self.assertEqual(items, self.expected[:MAX_DISCO_ITEMS])
        self.assertIsNotNone(info, "a truncated list needs a <set/> (XEP-0030 7)")
        self.assertEqual(info["count"], N_ROOMS, info)
        self.assertEqual((info["first"], info["last"]),
                         (items[0][0], items[-1][0]), info)
        # A bigger <max/> than the cap is capped too.
        items, info = self.page("<max>1000</max>")
        self.assertEqual(items, self.expected[:MAX_DISCO_ITEMS])
        self.assertEqual(info["count"], N_ROOMS, info)

    def test_temporary_rooms_merge_into_the_pages(self):
        alice = self.new_client(self.prosody, user="alice", password=PASSWORD, register=False,
                                resource=new_id("t"))
        public_tmp, hidden_tmp = "r100t@" + DOMAIN, "r120h@" + DOMAIN
        self.create_room(alice, public_tmp, "A", {"muc#roomconfig_roomname": "Temp public"})
        self.create_room(alice, hidden_tmp, "A", {"muc#roomconfig_publicroom": "0"})
        expected = sorted(self.expected + [(public_tmp, "Temp public")])
        self.assert_listing(self.page_forward(), expected)
        backward = self.page_backward()
        backward.reverse()
        self.assert_listing(backward, expected)
        # The temporary room is a valid <after/> id as well.
        items, _ = self.page("<max>3</max><after>%s</after>" % public_tmp)
        self.assertEqual([j for j, _ in items], [room_jid(101), room_jid(102), room_jid(103)])
        self.leave(alice, public_tmp, "A")
        self.leave(alice, hidden_tmp, "A")
        _, info = self.page("<max>0</max>")
        self.assertEqual(info["count"], N_ROOMS, "the temporary room left the list")

    # -- scenario 5 ----------------------------------------------------------

    def test_restart_with_many_rooms_is_quick_and_lazy(self):
        cls = type(self)
        _, out = self.mucctl(self.mucd, "count")
        self.assertGreaterEqual(int(out.strip()), N_ROOMS + len(HIDDEN), out)
        self.assertEqual(self.mucd.stop(), 0, self.mucd.log_tail())
        new = Mucd(self.prosody, store_path=self.mucd.store_path, config=self.mucd_config)
        cls.mucds.append(new)
        cls.mucd = new
        started = time.monotonic()
        new.start(timeout=WAIT)
        took = time.monotonic() - started
        self.assertLess(took, 5.0, "start-up with %d stored rooms took %.1f s" % (N_ROOMS, took))

        def loaded_lines():
            return [line for line in new.log_text().splitlines()
                    if "storage: room " in line and " loaded" in line]
        self.assertEqual(loaded_lines(), [], "no room is loaded at start-up")

        self.client.drain()
        self.assert_listing(self.page_forward(), self.expected)
        self.assertEqual(loaded_lines(), [], "disco#items is served from the index, "
                                             "without loading rooms")
        reply = self.assert_result(self.disco_info(self.client, room_jid(7)))
        self.assertEqual(room_info(reply)[0], room_title(7))
        self.assertEqual(len(loaded_lines()), 1, "exactly the room asked for is loaded")
        _, out = self.mucctl(new, "count")
        self.assertGreaterEqual(int(out.strip()), N_ROOMS, out)
        self.assertEqual(log_errors(new), [], new.log_tail())


# ---------------------------------------------------------------------------
# 6: a full store
# ---------------------------------------------------------------------------

class StoreFullTest(MucActions, LiveTestCase):
    """Scenario 6: a 1 MiB LMDB map fills up with 60 KB descriptions."""

    timeout = WAIT
    DESC_LEN = 60000
    MAX_ROOMS = 40

    @staticmethod
    def desc(i):
        text = "Room %02d description. " % i
        return (text * (StoreFullTest.DESC_LEN // len(text) + 1))[:StoreFullTest.DESC_LEN]

    def test_full_store_refuses_with_resource_constraint_and_keeps_serving(self):
        prosody = self.new_prosody(start=False)
        prosody.register("alice", PASSWORD)
        prosody.start()
        small = {"storage": {"map_size_mb": 1}, "component": {"reconnect_max": 2}}
        mucd = self.new_mucd(prosody, config=small)
        alice = self.new_client(prosody, user="alice", password=PASSWORD, register=False)

        def fields(i):
            return {"muc#roomconfig_persistentroom": "1",
                    "muc#roomconfig_roomname": "Big %02d" % i,
                    "muc#roomconfig_roomdesc": self.desc(i)}

        stored, refused = [], None
        for i in range(self.MAX_ROOMS):
            room = "big%02d@%s" % (i, DOMAIN)
            burst = self.join(alice, room, "Alice")
            self.assertIn(STATUS_CREATED, status_codes(
                [s for s in burst if is_presence_from(s, room + "/Alice")][-1]))
            reply = self.configure(alice, room, fields(i))
            if attr(reply, "type") == "result":
                stored.append(i)
                self.leave(alice, room, "Alice")
                continue
            refused = (i, room, reply)
            break
        self.assertIsNotNone(refused, "a 1 MiB map took %d rooms of %d bytes each"
                             % (len(stored), self.DESC_LEN))
        i_refused, room_refused, reply = refused
        print("\n  store full: %d rooms stored, #%d refused" % (len(stored), i_refused),
              file=sys.stderr)
        self.assertGreater(len(stored), 0, "not even one room fit: %s" % reply)
        self.assert_error(reply, "wait", "resource-constraint", "the submit into a full store")
        self.assertTrue(mucd.running, mucd.log_tail())
        alice.drain()

        # The refused room changed nothing: still locked, not stored.
        self.leave(alice, room_refused, "Alice")
        self.assert_error(self.disco_info(alice, room_refused), "cancel", "item-not-found",
                          "the refused room")
        code, _ = self.mucctl(mucd, "show", room_refused.split("@")[0], check=False)
        self.assertEqual(code, 1, "the refused room must not be stored")

        # mucd keeps serving: ping, stored rooms intact, temporary rooms work.
        self.ping(alice)
        for i in stored:
            room = "big%02d@%s" % (i, DOMAIN)
            reply = self.assert_result(self.disco_info(alice, room), "disco#info of %s" % room)
            name, features, info = room_info(reply)
            self.assertEqual(name, "Big %02d" % i)
            self.assertIn("muc_persistent", features)
            self.assertEqual(info.get("muc#roominfo_description"), self.desc(i))
        self.create_room(alice, "small@" + DOMAIN, "Alice", {})
        self.leave(alice, "small@" + DOMAIN, "Alice")
        self.ping(alice)

        # A bigger map on the same store: everything acknowledged is there,
        # and new rooms can be stored.
        self.assertEqual(mucd.stop(), 0, mucd.log_tail())
        mucd2 = self.new_mucd(prosody, store_path=mucd.store_path,
                              config={"storage": {"map_size_mb": 16},
                                      "component": {"reconnect_max": 2}})
        alice.drain()
        exported = self.mucctl_export(mucd2)
        for i in stored:
            rec = exported.get("big%02d" % i)
            self.assertIsNotNone(rec, "acknowledged room big%02d lost: %s" % (i, sorted(exported)))
            self.assertEqual((rec["title"], rec["description"]), ("Big %02d" % i, self.desc(i)))
        for i in (stored[0], stored[-1]):
            reply = self.assert_result(self.disco_info(alice, "big%02d@%s" % (i, DOMAIN)))
            self.assertEqual(room_info(reply)[2].get("muc#roominfo_description"), self.desc(i))
        for i in (i_refused, i_refused + 1):
            room = "big%02d@%s" % (i, DOMAIN)
            self.create_room(alice, room, "Alice", fields(i))
            self.leave(alice, room, "Alice")
            _, out = self.mucctl(mucd2, "show", "big%02d" % i)
            self.assertEqual(json.loads(out)["description"], self.desc(i))
        self.assertEqual(log_errors(mucd2), [], mucd2.log_tail())


if __name__ == "__main__":
    unittest.main(verbosity=2)
