"""Faults around mucd, end to end (issue 7): each scenario runs a private
Prosody, the real mucd and slixmpp clients, breaks something for real, and
checks what clients and the store show afterwards.

What other suites already prove is not repeated here (test_component.py:
a clean Prosody stop/start, the backoff cap, SIGTERM/SIGINT exit 0 without
occupants; test_persistence.py: rooms across clean restarts, SIGKILL under
room-name and member additions in one room, a full store refusing a new
persistent room). This file adds:

* Prosody SIGKILLed while a client streams messages into a persistent room
  with occupants: mucd logs the loss, retries with growing waits while
  Prosody stays down (1, 2, 4 s, each really waited), reconnects once it is
  back; the room's configuration, affiliations, subject and history are
  intact; the lost occupants are gone (no ghosts for a new joiner, occupant
  count 0) and rejoin with their nicks.
* mucd SIGKILLed under an interleaved stream of configuration changes
  (name, description, members-only, moderated), affiliation changes
  (member, admin, outcast, none over a pool of JIDs, so later changes
  overwrite earlier ones) and subject changes, in a loaded and an unloaded
  room: the environment opens cleanly (mdb_stat, mucctl), and the stored
  state is exactly the state after some prefix of the stream that contains
  every acknowledged change.
* A full store (1 MiB map filled to the last page): affiliation sets (with
  and without reasons), an owner configuration and a subject change each
  get resource-constraint and change nothing (for the owner, the
  occupants, a newcomer and the store); a destroy either works or is
  refused the same way, consistently; mucd keeps serving (ping, groupchat,
  temporary rooms); nothing stored before is damaged (mucctl export before
  = after, also after a restart with a bigger map, where the same changes
  succeed).
* SIGTERM with occupants in several rooms (persistent and temporary, a nick
  with two sessions): every session gets its own unavailable presence with
  110 and 332, mucd exits 0, the environment is closed (mdb_stat: no
  readers) and holds every persistent room with its history; and SIGTERM
  while Prosody is down exits 0 promptly.
"""

import datetime
import random
import re
import signal
import subprocess
import sys
import threading
import time
import unittest
from xml.sax.saxutils import escape

from harness import (
    CONNECTED_MARKER, NS_CLIENT, LiveTestCase, Prosody, attr, new_id, q, show, stanza_kind,
    scaled, stanza_xml, terminate_process, wait_until,
)
from muc_helpers import (
    DOMAIN, NS_DATA, NS_MUC_ADMIN, NS_MUC_OWNER, is_message, is_subject, muc_item, status_codes,
    subject_el,
)
from test_persistence import (
    STATUS_CREATED, MucActions, affs_by_kind, config_form, is_presence_from, log_errors,
    room_info,
)

HOST = Prosody.HOST
PASSWORD = "faults-pw"
WAIT = 10.0
OWNER = "alice@" + HOST

STATUS_SELF, STATUS_SHUTDOWN = 110, 332

F_NAME = "muc#roomconfig_roomname"
F_DESC = "muc#roomconfig_roomdesc"
F_MEMBERS_ONLY = "muc#roomconfig_membersonly"
F_MODERATED = "muc#roomconfig_moderatedroom"
F_PERSISTENT = "muc#roomconfig_persistentroom"


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z ")


def log_time(line):
    """The timestamp of a mucd log line as seconds (None if it has none)."""
    m = LOG_TIME.match(line)
    if not m:
        return None
    t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f")
    return t.replace(tzinfo=datetime.timezone.utc).timestamp()


def mdb_stat(store_path, *args):
    """Run ``mdb_stat ARGS store``; return (exit code, output)."""
    res = subprocess.run(["mdb_stat"] + list(args) + [store_path], stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=WAIT)
    return res.returncode, res.stdout + res.stderr


def form_values(reply, ns):
    """{var: value or [values]} of the data form in ``<query xmlns=ns/>``."""
    query = stanza_xml(reply).find(q(ns, "query"))
    x = query.find(q(NS_DATA, "x")) if query is not None else None
    if x is None:
        raise AssertionError("no data form in %s" % reply)
    out = {}
    for f in x.findall(q(NS_DATA, "field")):
        vals = [v.text or "" for v in f.findall(q(NS_DATA, "value"))]
        out[f.get("var")] = vals[0] if len(vals) == 1 else vals
    return out


def flag(value):
    """A form boolean as a Python bool."""
    return value in ("1", "true")


class FaultCase(MucActions, LiveTestCase):
    """Shared set-up: a Prosody with registered users, one mucd."""

    timeout = WAIT
    users = ("alice", "bob", "carol", "dave")

    def start_stack(self, mucd_config=None):
        self.prosody = self.new_prosody(start=False)
        for user in self.users:
            self.prosody.register(user, PASSWORD)
        self.prosody.start()
        config = {"component": {"reconnect_max": 2}}
        for section, keys in (mucd_config or {}).items():
            config.setdefault(section, {}).update(keys)
        self.mucd = self.new_mucd(self.prosody, config=config)
        return self.mucd

    def login(self, user, resource="it"):
        return self.new_client(self.prosody, user=user, password=PASSWORD, register=False,
                               resource=resource)

    def assert_store_opens(self, mucd, readers_clear=False):
        """mdb_stat opens the environment and every database in it; mucctl
        reads it; with ``readers_clear`` the reader table must be empty (a
        clean close leaves no reader slot behind)."""
        code, out = mdb_stat(mucd.store_path, "-e", "-r", "-a")
        self.assertEqual(code, 0, "mdb_stat cannot open %s:\n%s" % (mucd.store_path, out))
        for db in ("Environment Info", "Status of Main DB", "Status of rooms",
                   "Status of affiliations"):
            self.assertIn(db, out, out)
        if readers_clear:
            self.assertIn("(no active readers)", out, "stale readers after a clean close:\n"
                          + out)
        self.mucctl(mucd, "count")

    def owner_form(self, client, room):
        reply = self.assert_result(self.iq(client, "get", room,
                                           "<query xmlns='%s'/>" % NS_MUC_OWNER),
                                   "owner form of %s" % room)
        return form_values(reply, NS_MUC_OWNER)

    def affiliations(self, client, room, kinds=("owner", "admin", "member", "outcast")):
        return {k: self.affiliation_list(client, room, k) for k in kinds}


# ---------------------------------------------------------------------------
# 1. Prosody killed mid-traffic
# ---------------------------------------------------------------------------

class ProsodyKilledTest(FaultCase):
    """Prosody dies (SIGKILL) while messages stream into a persistent room."""

    users = ("alice", "bob", "carol", "dave")
    ROOM = "lobby@" + DOMAIN
    SPEC = {"name": "Lobby \u2013 persistent", "desc": "Survives a Prosody crash",
            "subject": "Lobby subject \u2713", "members": ["bob@localhost", "carol@localhost"],
            "admins": ["erin@localhost"]}
    KILL_AFTER = 20  # messages seen by a listener before Prosody dies
    RECONNECT_MAX = 8  # waits 1, 2, 4, 8 s: the growth is visible in a few seconds

    def build_room(self, alice):
        room, spec = self.ROOM, self.SPEC
        self.create_room(alice, room, "Alice", {F_PERSISTENT: "1", F_NAME: spec["name"],
                                               F_DESC: spec["desc"]})
        pairs = ([(j, "member") for j in spec["members"]]
                 + [(j, "admin") for j in spec["admins"]])
        self.assert_result(self.set_affiliations(alice, room, pairs), "affiliations")
        self.set_subject(alice, room, spec["subject"])
        alice.drain()

    def verify_room(self, client):
        """Configuration, affiliations and subject as built (asked as the owner)."""
        room, spec = self.ROOM, self.SPEC
        name, features, info = room_info(self.assert_result(self.disco_info(client, room)))
        self.assertEqual(name, spec["name"])
        self.assertIn("muc_persistent", features)
        self.assertEqual(info.get("muc#roominfo_description"), spec["desc"])
        self.assertEqual(info.get("muc#roominfo_subject"), spec["subject"])
        form = self.owner_form(client, room)
        self.assertEqual((form.get(F_NAME), form.get(F_DESC), flag(form.get(F_PERSISTENT))),
                         (spec["name"], spec["desc"], True), form)
        self.assertEqual(self.affiliations(client, room),
                         {"owner": [OWNER], "admin": sorted(spec["admins"]),
                          "member": sorted(spec["members"]), "outcast": []})
        return info

    def backoff_waits(self, mucd, offset):
        """The announced waits ``reconnecting ... in N s`` logged after ``offset``,
        and the log times of the connection attempts after it."""
        waits, attempts = [], []
        for line in mucd.log_text()[offset:].splitlines():
            m = re.search(r"component: reconnecting to \S+ in (\d+) s", line)
            if m:
                waits.append((int(m.group(1)), log_time(line)))
            elif "component: connecting to " in line:
                attempts.append(log_time(line))
        return waits, attempts

    def test_prosody_sigkill_mid_traffic_reconnect_no_ghosts_rejoin(self):
        mucd = self.start_stack({"component": {"reconnect_max": self.RECONNECT_MAX}})
        room = self.ROOM
        alice, bob, carol = self.login("alice"), self.login("bob"), self.login("carol")
        self.build_room(alice)
        for client, nick in ((bob, "Bob"), (carol, "Carol")):
            self.join(client, room, nick)
        alice.drain()
        bob.drain()

        # Alice and Bob keep talking (each below mucd's per-occupant rate
        # limit); Prosody dies once Carol has seen some of it.
        senders = [PacedSender(alice, room, "Alice"), PacedSender(bob, room, "Bob")]
        for sender in senders:
            self.addCleanup(sender.finish)
            sender.start()

        def seen(nick):
            return [seq_of(s) for s in carol.received(lambda s: is_talk(s, room + "/" + nick))]
        wait_until(lambda: len(seen("Alice")) + len(seen("Bob")) >= self.KILL_AFTER, WAIT,
                   "Carol to see %d messages" % self.KILL_AFTER)
        offset = mucd.log_offset()
        self.assertEqual(terminate_process(self.prosody.proc, WAIT, signal.SIGKILL),
                         -signal.SIGKILL)
        killed_at = time.monotonic()
        last_seen = {nick: max(seen(nick), default=-1) for nick in ("Alice", "Bob")}
        for sender in senders:
            sender.finish()
        print("\n  Prosody SIGKILLed while Alice and Bob talk; Carol saw %s"
              % {n: k + 1 for n, k in last_seen.items()}, file=sys.stderr)

        # mucd notices, survives, and retries with growing waits.
        mucd.wait_log("component: link to 127.0.0.1:%d lost" % self.prosody.component_port,
                      timeout=WAIT, offset=offset)
        mucd.wait_log("reconnecting to 127.0.0.1:%d in 4 s" % self.prosody.component_port,
                      timeout=WAIT, offset=offset)
        self.assertTrue(mucd.running, mucd.log_tail())
        down_for = time.monotonic() - killed_at
        waits, attempts = self.backoff_waits(mucd, offset)
        self.assertEqual([w for w, _ in waits], [1, 2, 4], mucd.log_tail())
        # Each announced wait was really waited before the next attempt.
        self.assertGreaterEqual(len(attempts), 2, mucd.log_tail())
        for (wait_s, announced), attempt in zip(waits, attempts):
            self.assertGreaterEqual(attempt - announced, wait_s - 0.05,
                                    "attempt %.2f s after announcing %d s\n%s"
                                    % (attempt - announced, wait_s, mucd.log_tail()))
        self.assertIn("cannot connect to 127.0.0.1:%d" % self.prosody.component_port,
                      mucd.log_text()[offset:])

        # Prosody is back (same ports and data): mucd is there within the
        # announced 4 s (plus slack for a loaded machine).
        self.prosody.start()
        up = time.monotonic()
        mucd.wait_log(CONNECTED_MARKER, timeout=4 + WAIT, offset=offset)
        print("  Prosody down %.1f s; mucd connected %.1f s after it came back"
              % (down_for, time.monotonic() - up), file=sys.stderr)

        # A newcomer sees the room intact and empty: no ghosts.
        dave = self.login("dave", resource="new")
        info = self.verify_room(self.login("alice", resource="check"))
        self.assertEqual(info.get("muc#roominfo_occupants"), "0",
                         "occupants of the lost link are still counted")
        burst = self.join(dave, room, "Dave")
        presences = [s for s in burst if stanza_kind(s) == "presence"]
        self.assertEqual([attr(s, "from") for s in presences], [room + "/Dave"],
                         "ghost occupants after the lost link:\n" + show(burst))
        self.assertEqual(subject_el(burst[-1]).text, self.SPEC["subject"])
        # The history was kept: each talker's messages in order, without a
        # gap, up to at least the last one a listener saw before the crash.
        for nick in ("Alice", "Bob"):
            idx = [seq_of(s) for s in burst if is_talk(s, "%s/%s" % (room, nick))]
            if last_seen[nick] < 0:
                continue
            self.assertTrue(idx, "no history of %s after the crash:\n%s" % (nick, show(burst)))
            self.assertEqual(idx, list(range(idx[0], idx[0] + len(idx))), show(burst))
            self.assertGreaterEqual(idx[-1], last_seen[nick], show(burst))

        # The old users come back with their nicks (no conflict with a ghost).
        back = {}
        for user, nick, aff in (("alice", "Alice", "owner"), ("bob", "Bob", "member"),
                                ("carol", "Carol", "member")):
            client = self.login(user, resource="back")
            burst = self.join(client, room, nick)
            own = [s for s in burst if is_presence_from(s, "%s/%s" % (room, nick))]
            self.assertTrue(own, show(burst))
            self.assertIn(STATUS_SELF, status_codes(own[-1]), show(burst))
            self.assertNotIn(STATUS_CREATED, status_codes(own[-1]), show(burst))
            self.assertEqual(muc_item(own[-1]).get("affiliation"), aff, show(burst))
            back[nick] = client
            dave.wait_for(lambda s, n=nick: is_presence_from(s, "%s/%s" % (room, n)), WAIT,
                          "%s entering, seen by Dave" % nick)
        _, _, info = room_info(self.assert_result(self.disco_info(dave, room)))
        self.assertEqual(info.get("muc#roominfo_occupants"), "4", "occupants after the rejoin")
        msg_id = new_id("after")
        back["Bob"].send_raw("<message type='groupchat' to='%s' id='%s'><body>back</body>"
                             "</message>" % (room, msg_id))
        for client in list(back.values()) + [dave]:
            client.wait_for(lambda s: is_message(s, room + "/Bob") and attr(s, "id") == msg_id,
                            WAIT, "Bob's message after the rejoin")

        # mucctl agrees with what the clients saw.
        rec = self.mucctl_export(mucd).get("lobby")
        self.assertIsNotNone(rec)
        self.assertEqual((rec["title"], rec["description"], rec["subject"]),
                         (self.SPEC["name"], self.SPEC["desc"], self.SPEC["subject"]))
        self.assertEqual(affs_by_kind(rec), {"owner": [OWNER],
                                             "admin": sorted(self.SPEC["admins"]),
                                             "member": sorted(self.SPEC["members"])})
        self.assertEqual(log_errors(mucd), [], mucd.log_tail())


def seq_of(st):
    """The sequence number of a :class:`PacedSender` message."""
    return int(stanza_xml(st).findtext(q(NS_CLIENT, "body")).rsplit(" ", 1)[1])


def is_talk(st, frm):
    """A :class:`PacedSender` message from occupant ``frm``."""
    body = stanza_xml(st).findtext(q(NS_CLIENT, "body"))
    return is_message(st, frm) and body is not None and " says " in body


class PacedSender(threading.Thread):
    """Sends groupchat messages ``"<nick> says N"`` into a room every
    ``interval`` s (below mucd's per-occupant rate limit) until finished, the
    stream fails, or ``limit`` messages."""

    def __init__(self, client, room, nick, interval=0.12, limit=500):
        super().__init__(name="sender-" + nick, daemon=True)
        self.client, self.room, self.nick = client, room, nick
        self.interval, self.limit = interval, limit
        self.sent = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set() and self.sent < self.limit:
            try:
                self.client.send_raw(
                    "<message type='groupchat' to='%s' id='%s-%d'><body>%s says %d</body>"
                    "</message>" % (self.room, self.nick, self.sent, self.nick, self.sent))
            except Exception:  # noqa: BLE001 - the stream died with Prosody
                return
            self.sent += 1
            self.stop.wait(self.interval)

    def finish(self):
        self.stop.set()
        self.join(WAIT)


# ---------------------------------------------------------------------------
# 2. mucd killed under a mixed stream of changes
# ---------------------------------------------------------------------------

class RoomModel:
    """What a room should hold after a sequence of accepted changes."""

    def __init__(self, name, desc):
        self.cfg = {"name": name, "desc": desc, "members_only": False, "moderated": False}
        self.subject = ""
        self.affs = {}

    def copy(self):
        other = RoomModel(None, None)
        other.cfg, other.subject, other.affs = dict(self.cfg), self.subject, dict(self.affs)
        return other

    def apply(self, change):
        kind, value = change["kind"], change["value"]
        if kind == "aff":
            jid, aff = value
            if aff == "none":
                self.affs.pop(jid, None)
            else:
                self.affs[jid] = aff
        elif kind == "subject":
            self.subject = value
        else:
            self.cfg[kind] = value

    def snapshot(self):
        by_kind = {"admin": [], "member": [], "outcast": []}
        for jid, aff in self.affs.items():
            by_kind[aff].append(jid)
        return {"cfg": dict(self.cfg), "subject": self.subject,
                "affs": {k: sorted(v) for k, v in by_kind.items()}}


class KilledUnderChangesTest(FaultCase):
    """kill -9 while config, affiliation and subject changes stream in."""

    users = ("alice",)
    CHANGES = 240
    KILL_AFTER_ACKS = 60
    POOL = ["p%d@localhost" % i for i in range(6)]
    LOADED = "mixa@" + DOMAIN    # Alice stays inside: changes hit a loaded room
    UNLOADED = "mixb@" + DOMAIN  # Alice leaves: each change loads, writes, unloads

    def make_changes(self):
        rnd = random.Random(20260907)
        changes = []
        for i in range(self.CHANGES):
            room = self.LOADED if i % 2 == 0 else self.UNLOADED
            kinds = ["name", "desc", "members_only", "moderated", "aff", "aff", "aff"]
            if room == self.LOADED:
                kinds.append("subject")
            kind = rnd.choice(kinds)
            if kind == "name":
                value = "Name %03d" % i
            elif kind == "desc":
                value = "Description %03d <&> \u00e9" % i
            elif kind in ("members_only", "moderated"):
                value = rnd.choice([True, False])
            elif kind == "aff":
                value = (rnd.choice(self.POOL), rnd.choice(["member", "admin", "outcast",
                                                            "none"]))
            else:
                value = "Subject %03d" % i
            changes.append({"i": i, "id": "mix-%03d" % i, "room": room, "kind": kind,
                            "value": value})
        return changes

    def stanza_of(self, ch):
        room, kind, value = ch["room"], ch["kind"], ch["value"]
        if kind == "subject":
            return ("<message type='groupchat' to='%s' id='%s'><subject>%s</subject></message>"
                    % (room, ch["id"], escape(value)))
        if kind == "aff":
            payload = "<query xmlns='%s'><item affiliation='%s' jid='%s'/></query>" % (
                NS_MUC_ADMIN, value[1], value[0])
        else:
            var = {"name": F_NAME, "desc": F_DESC, "members_only": F_MEMBERS_ONLY,
                   "moderated": F_MODERATED}[kind]
            if isinstance(value, bool):
                value = "1" if value else "0"
            payload = "<query xmlns='%s'>%s</query>" % (NS_MUC_OWNER, config_form({var: value}))
        return "<iq type='set' to='%s' id='%s'>%s</iq>" % (room, ch["id"], payload)

    def observe(self, client, room):
        """The room as a client sees it now (same shape as RoomModel.snapshot)."""
        form = self.owner_form(client, room)
        _, _, info = room_info(self.assert_result(self.disco_info(client, room)))
        affs = self.affiliations(client, room)
        self.assertEqual(affs.pop("owner"), [OWNER])
        return {"cfg": {"name": form.get(F_NAME), "desc": form.get(F_DESC),
                        "members_only": flag(form.get(F_MEMBERS_ONLY)),
                        "moderated": flag(form.get(F_MODERATED))},
                "subject": info.get("muc#roominfo_subject") or "", "affs": affs}

    def test_sigkill_under_config_affiliation_and_subject_changes(self):
        mucd = self.start_stack()
        alice = self.login("alice")
        models = {}
        for room, title in ((self.LOADED, "Mix A"), (self.UNLOADED, "Mix B")):
            self.create_room(alice, room, "Alice", {F_PERSISTENT: "1", F_NAME: title,
                                                   F_DESC: title + " start"})
            models[room] = RoomModel(title, title + " start")
            form = self.owner_form(alice, room)
            models[room].cfg.update(members_only=flag(form.get(F_MEMBERS_ONLY)),
                                    moderated=flag(form.get(F_MODERATED)))
        self.leave(alice, self.UNLOADED, "Alice")
        alice.drain()

        changes = self.make_changes()
        by_id = {ch["id"]: ch for ch in changes}
        # All at once: at the kill, mucd is in the middle of the stream.
        alice.send_raw("".join(self.stanza_of(ch) for ch in changes))

        def answers():
            """{id: 'ok' | 'error'} of the replies so far (a subject's reply is
            its echo from the room, or a message error)."""
            got = {}
            for s in alice.received(lambda s: attr(s, "id") in by_id):
                kind, typ = stanza_kind(s), attr(s, "type")
                if kind == "iq":
                    got[attr(s, "id")] = "ok" if typ == "result" else "error"
                elif kind == "message" and typ == "error":
                    got[attr(s, "id")] = "error"
                elif kind == "message" and is_subject(s):
                    got[attr(s, "id")] = "ok"
            return got

        def oks():
            return sum(1 for v in answers().values() if v == "ok")
        wait_until(lambda: oks() >= self.KILL_AFTER_ACKS, WAIT,
                   "%d acknowledgements" % self.KILL_AFTER_ACKS, interval=0.001)
        mucd.signal(signal.SIGKILL)
        acked_at_kill = oks()
        self.assertEqual(mucd.wait_exit(WAIT), -signal.SIGKILL)
        self.wait_component_gone(alice)
        # Replies in flight have arrived by now (Prosody answers in order).
        got = answers()
        acked = sorted(by_id[i]["i"] for i, v in got.items() if v == "ok")
        n_acked = len(acked)
        self.assertGreaterEqual(n_acked, self.KILL_AFTER_ACKS)
        if acked != list(range(n_acked)):
            gaps = [i for i in range(acked[-1]) if i not in acked]
            self.fail("acknowledgements are not a prefix of the stream; not acknowledged: "
                      "%s\n%s" % (gaps, show(alice.received(
                          lambda s: attr(s, "id") in {changes[i]["id"] for i in gaps}))))
        print("\n  mixed stream: %d changes, SIGKILL at %d acknowledgements, %d in all"
              % (len(changes), acked_at_kill, n_acked), file=sys.stderr)

        # The environment left by the crash opens cleanly.
        self.assert_store_opens(mucd)

        mucd2 = self.new_mucd(self.prosody, store_path=mucd.store_path,
                              config={"component": {"reconnect_max": 2}})
        self.assertEqual(log_errors(mucd2), [], mucd2.log_tail())
        alice2 = self.login("alice", resource="after")
        observed = {room: self.observe(alice2, room) for room in models}

        # Stored = the state after the first k changes, for one k >= n_acked.
        states = {}
        for k in range(len(changes) + 1):
            if k >= n_acked:
                states[k] = {room: m.snapshot() for room, m in models.items()}
            if k < len(changes):
                models[changes[k]["room"]].apply(changes[k])
        matching = [k for k, st in states.items() if st == observed]
        if not matching:
            self.fail("the stored rooms match no prefix of the stream that holds the %d "
                      "acknowledged changes\nobserved: %s\nafter the acknowledged ones: %s"
                      % (n_acked, observed, states[n_acked]))
        print("  stored state = after change %d (%d acknowledged)" % (matching[0], n_acked),
              file=sys.stderr)

        # mucctl reads the same.
        exported = self.mucctl_export(mucd2)
        for room, seen in observed.items():
            rec = exported[room.split("@")[0]]
            self.assertEqual((rec["title"], rec["description"], rec["members_only"],
                              rec["moderated"], rec["subject"] or ""),
                             (seen["cfg"]["name"], seen["cfg"]["desc"],
                              seen["cfg"]["members_only"], seen["cfg"]["moderated"],
                              seen["subject"]))
            affs = affs_by_kind(rec)
            self.assertEqual(affs.pop("owner"), [OWNER])
            self.assertEqual({k: affs.get(k, []) for k in ("admin", "member", "outcast")},
                             seen["affs"])
        # And the reopened store takes writes.
        self.assert_result(self.configure(alice2, self.UNLOADED, {F_NAME: "After"}))
        self.assertEqual(self.mucctl_export(mucd2)["mixb"]["title"], "After")


# ---------------------------------------------------------------------------
# 3. A full store under a mix of operations
# ---------------------------------------------------------------------------

# ~36 KB each (9+ LMDB pages), and each request well below mucd's default
# 64 KiB stanza limit.
BIG_DESC = ("A long description. " * 2000)[:36000]
BIG_SUBJECT = ("A long subject. " * 2500)[:36000]
BIG_AFF_COUNT = 120  # with a 190-byte reason each: ~30 KB of affiliation records


def big_affiliation_set():
    """A muc#admin set: Bob becomes admin, BIG_AFF_COUNT new members."""
    items = ["<item affiliation='admin' jid='bob@localhost'/>"] + [
        "<item affiliation='member' jid='new%03d@localhost'><reason>%s</reason></item>"
        % (i, ("reason %03d " % i) * 17) for i in range(BIG_AFF_COUNT)]
    return "<query xmlns='%s'>%s</query>" % (NS_MUC_ADMIN, "".join(items))


class StoreFullMixTest(FaultCase):
    """A 1 MiB map filled to the last page; then changes of every kind."""

    users = ("alice", "bob", "dave")
    PROBE = "probe@" + DOMAIN
    DOOMED = "doomed@" + DOMAIN
    FILL_SIZES = (60000, 4000, 200, 0)
    MAX_FILL = 400

    def fill(self, alice):
        """Stores rooms with shrinking descriptions until even an empty one is
        refused; returns the names stored."""
        stored, n = [], 0
        for size in self.FILL_SIZES:
            while n < self.MAX_FILL:
                room = "fill%03d@%s" % (n, DOMAIN)
                n += 1
                self.join(alice, room, "Alice")
                fields = {F_PERSISTENT: "1", F_NAME: "Fill %d" % n}
                if size:
                    fields[F_DESC] = ("fill %d " % n * (size // 6 + 1))[:size]
                reply = self.configure(alice, room, fields)
                self.leave(alice, room, "Alice")
                if attr(reply, "type") != "result":
                    self.assert_error(reply, "wait", "resource-constraint", "filling")
                    break
                stored.append(room.split("@")[0])
        self.assertLess(n, self.MAX_FILL, "the 1 MiB store never filled up")
        # Then single small affiliations, until even one of them is refused.
        for k in range(self.MAX_FILL):
            reply = self.set_affiliations(alice, "%s@%s" % (stored[-1], DOMAIN),
                                          [("f%03d@localhost" % k, "member")])
            if attr(reply, "type") != "result":
                self.assert_error(reply, "wait", "resource-constraint", "filling")
                break
        else:
            self.fail("small affiliations never filled the store")
        alice.drain()
        return stored

    def test_full_store_mixed_operations(self):
        mucd = self.start_stack({"storage": {"map_size_mb": 1}})
        alice, bob = self.login("alice"), self.login("bob")
        room = self.PROBE
        self.create_room(alice, room, "Alice", {F_PERSISTENT: "1", F_NAME: "Probe",
                                               F_DESC: "Probe room"})
        self.assert_result(self.set_affiliations(alice, room, [
            ("bob@localhost", "member"), ("carol@localhost", "admin"),
            ("mallory@localhost", "outcast")]))
        self.set_subject(alice, room, "Probe subject")
        self.create_room(alice, self.DOOMED, "Alice", {F_PERSISTENT: "1", F_NAME: "Doomed"})
        self.leave(alice, self.DOOMED, "Alice")
        self.join(bob, room, "Bob")
        alice.drain()
        before = self.mucctl_export(mucd)
        self.assertEqual(sorted(before), ["doomed", "probe"])

        filled = self.fill(alice)
        print("\n  store full after %d filler rooms" % len(filled), file=sys.stderr)
        exported = self.mucctl_export(mucd)
        bob.drain()
        alice.drain()

        # Every change that needs room in the store is refused, and changes
        # nothing. LMDB reuses the pages its last transactions freed, so a
        # full map may still take a small change: each of these needs far
        # more (~30 KB) than the freed pages of a few small transactions.
        reply = self.iq(alice, "set", room, big_affiliation_set())
        self.assert_error(reply, "wait", "resource-constraint", "affiliations in a full store")
        reply = self.iq(alice, "set", room, "<query xmlns='%s'>%s</query>" % (
            NS_MUC_ADMIN, "".join("<item affiliation='outcast' jid='bad%d@localhost'>"
                                  "<reason>%s</reason></item>" % (i, "r" * 1500)
                                  for i in range(20))))
        self.assert_error(reply, "wait", "resource-constraint", "outcasts with reasons")
        reply = self.configure(alice, room, {F_NAME: "Probe renamed", F_MEMBERS_ONLY: "1",
                                             F_DESC: BIG_DESC})
        self.assert_error(reply, "wait", "resource-constraint", "configuration")
        msg_id = new_id("subj")
        alice.send_raw("<message type='groupchat' to='%s' id='%s'><subject>%s</subject>"
                       "</message>" % (room, msg_id, BIG_SUBJECT))
        err = alice.wait_for(lambda s: stanza_kind(s) == "message" and attr(s, "id") == msg_id,
                             WAIT, "the answer to a subject change")
        self.assertEqual(attr(err, "type"), "error", "subject change accepted: %s" % err)
        self.assertEqual(attr(err, "from"), room, str(err))
        self.assert_error(err, "wait", "resource-constraint", "subject")

        # What occupants and newcomers see is unchanged.
        self.assertEqual(self.affiliations(alice, room),
                         {"owner": [OWNER], "admin": ["carol@localhost"],
                          "member": ["bob@localhost"], "outcast": ["mallory@localhost"]})
        form = self.owner_form(alice, room)
        self.assertEqual((form.get(F_NAME), flag(form.get(F_MEMBERS_ONLY))), ("Probe", False))
        _, _, info = room_info(self.assert_result(self.disco_info(bob, room)))
        self.assertEqual(info.get("muc#roominfo_subject"), "Probe subject")
        self.assert_nothing_from(bob, lambda s: is_subject(s, room), "a subject change")
        self.assert_nothing_from(bob, lambda s: is_presence_from(s, room + "/Bob"),
                                 "an affiliation change of its own")

        # A destroy frees space, but LMDB still needs a few fresh pages for
        # it: either it works (and the room is gone) or it is refused with
        # resource-constraint (and the room is intact).
        reply = self.iq(alice, "set", self.DOOMED,
                        "<query xmlns='%s'><destroy><reason>full</reason></destroy></query>"
                        % NS_MUC_OWNER)
        destroyed = attr(reply, "type") == "result"
        print("  destroy of a stored room in the full store: %s"
              % ("done" if destroyed else "refused"), file=sys.stderr)
        if destroyed:
            self.assert_error(self.disco_info(alice, self.DOOMED), "cancel", "item-not-found",
                              "the destroyed room")
            exported.pop("doomed")
        else:
            self.assert_error(reply, "wait", "resource-constraint", "destroying a stored room")
            name, _, _ = room_info(self.assert_result(self.disco_info(alice, self.DOOMED)))
            self.assertEqual(name, "Doomed")

        # mucd keeps serving what needs no write.
        self.ping(alice)
        msg_id = new_id("chat")
        alice.send_raw("<message type='groupchat' to='%s' id='%s'><body>still here</body>"
                       "</message>" % (room, msg_id))
        bob.wait_for(lambda s: is_message(s, room + "/Alice") and attr(s, "id") == msg_id,
                     WAIT, "a groupchat message in the full store's room")
        dave = self.login("dave")
        self.create_room(dave, "scratch@" + DOMAIN, "Dave", {F_NAME: "Temporary"})
        self.assertEqual(room_info(self.disco_info(alice, "scratch@" + DOMAIN))[0], "Temporary")
        self.leave(dave, "scratch@" + DOMAIN, "Dave")
        self.assertTrue(mucd.running, mucd.log_tail())

        # Nothing stored before is damaged.
        self.assert_store_opens(mucd)
        now = self.mucctl_export(mucd)
        self.assertEqual(now, exported, "the store changed while it was full")
        self.assertEqual(now["probe"], before["probe"])
        self.assertEqual(now.get("doomed"), None if destroyed else before["doomed"])

        # A bigger map on the same store: everything is there, and the very
        # same changes now succeed.
        alice.disconnect()
        bob.disconnect()
        self.assertEqual(mucd.stop(), 0, mucd.log_tail())
        mucd2 = self.new_mucd(self.prosody, store_path=mucd.store_path,
                              config={"storage": {"map_size_mb": 16},
                                      "component": {"reconnect_max": 2}})
        self.assertEqual(self.mucctl_export(mucd2), exported)
        alice = self.login("alice", resource="big")
        self.join(alice, room, "Alice")
        self.assert_result(self.iq(alice, "set", room, big_affiliation_set()))
        self.assert_result(self.configure(alice, room, {F_NAME: "Probe renamed",
                                                        F_DESC: BIG_DESC}))
        self.set_subject(alice, room, BIG_SUBJECT)
        if not destroyed:
            self.assert_result(self.iq(alice, "set", self.DOOMED,
                                       "<query xmlns='%s'><destroy/></query>" % NS_MUC_OWNER))
        after = self.mucctl_export(mucd2)
        self.assertNotIn("doomed", after)
        self.assertEqual((after["probe"]["title"], after["probe"]["description"],
                          after["probe"]["subject"]), ("Probe renamed", BIG_DESC, BIG_SUBJECT))
        self.assertEqual(affs_by_kind(after["probe"])["admin"], ["bob@localhost",
                                                                 "carol@localhost"])
        self.assertEqual(len(affs_by_kind(after["probe"])["member"]), BIG_AFF_COUNT)
        self.assertEqual(log_errors(mucd2), [], mucd2.log_tail())

    def assert_nothing_from(self, client, pred, what):
        got = client.received(pred)
        self.assertEqual(got, [], "%s got %s: %s" % (client.jid, what, show(got)))


# ---------------------------------------------------------------------------
# 4. SIGTERM
# ---------------------------------------------------------------------------

class SigtermTest(FaultCase):
    """A clean stop with occupants everywhere."""

    users = ("alice", "bob", "carol")
    P1, P2, T1 = "keep1@" + DOMAIN, "keep2@" + DOMAIN, "temp1@" + DOMAIN

    def test_sigterm_tells_every_occupant_332_exits_0_store_clean(self):
        mucd = self.start_stack()
        alice = self.login("alice")
        bob1, bob2 = self.login("bob", "one"), self.login("bob", "two")
        carol = self.login("carol")
        self.create_room(alice, self.P1, "Alice", {F_PERSISTENT: "1", F_NAME: "Keep one"})
        self.create_room(alice, self.P2, "Alice", {F_PERSISTENT: "1", F_NAME: "Keep two",
                                                  F_MEMBERS_ONLY: "1"})
        self.assert_result(self.set_affiliations(alice, self.P2, [("carol@localhost",
                                                                   "member")]))
        self.set_subject(alice, self.P1, "Before the stop")
        self.create_room(alice, self.T1, "Alice", {F_NAME: "Temporary"})
        # (session, room, nick): Bob is one nick with two sessions in P1.
        seats = [(alice, self.P1, "Alice"), (alice, self.P2, "Alice"), (alice, self.T1, "Alice"),
                 (bob1, self.P1, "Bob"), (bob2, self.P1, "Bob"),
                 (carol, self.P2, "Carol"), (carol, self.T1, "Carol")]
        for client, room, nick in seats:
            if client is not alice:
                self.join(client, room, nick)
        msg_ids = []
        for n in range(3):
            msg_ids.append(new_id("hist"))
            carol.send_raw("<message type='groupchat' to='%s' id='%s'><body>history %d</body>"
                           "</message>" % (self.P2, msg_ids[-1], n))
            alice.wait_for(lambda s, i=msg_ids[-1]: is_message(s, self.P2 + "/Carol")
                           and attr(s, "id") == i, WAIT, "message %d in %s" % (n, self.P2))
        for client in (alice, bob1, bob2, carol):
            client.drain()

        mucd.signal(signal.SIGTERM)
        for client, room, nick in seats:
            me = "%s/%s" % (room, nick)
            st = client.wait_for(lambda s, me=me: is_presence_from(s, me, "unavailable"), WAIT,
                                 "%s's own unavailable presence in %s" % (client.jid, room))
            codes = status_codes(st)
            self.assertIn(STATUS_SHUTDOWN, codes, "no 332 for %s: %s" % (client.jid, st))
            self.assertIn(STATUS_SELF, codes, str(st))
            self.assertEqual(attr(st, "to"), client.full_jid, str(st))
            self.assertEqual(muc_item(st).get("role"), "none", str(st))
        code = mucd.wait_exit(WAIT)
        self.assertEqual(code, 0, mucd.log_tail())
        text = mucd.log_text()
        self.assertIn("mucd: stopped (exit code 0)", text)
        self.assertIn("component: stream closed", text)
        self.assertEqual(log_errors(mucd), [], mucd.log_tail())
        self.wait_component_gone(alice)
        # Each session was told once per room it was in, and nothing else
        # about departures arrived.
        for client in (alice, bob1, bob2, carol):
            mine = [(r, n) for c, r, n in seats if c is client]
            unavailable = [s for s in client.received(
                lambda s: stanza_kind(s) == "presence" and attr(s, "type") == "unavailable")]
            self.assertEqual(unavailable, [], "%s: more unavailable presences than rooms "
                             "(%s):\n%s" % (client.jid, mine, show(unavailable)))

        # The environment was closed cleanly and holds every persistent room.
        self.assert_store_opens(mucd, readers_clear=True)
        stored = self.mucctl_export(mucd)
        self.assertEqual(sorted(stored), ["keep1", "keep2"])
        self.assertEqual((stored["keep1"]["title"], stored["keep1"]["subject"]),
                         ("Keep one", "Before the stop"))
        self.assertEqual((stored["keep2"]["title"], stored["keep2"]["members_only"]),
                         ("Keep two", True))
        self.assertEqual(affs_by_kind(stored["keep2"]),
                         {"owner": [OWNER], "member": ["carol@localhost"]})

        # After a restart the rooms come back, with their history.
        self.new_mucd(self.prosody, store_path=mucd.store_path,
                      config={"component": {"reconnect_max": 2}})
        carol2 = self.login("carol", "again")
        burst = self.join(carol2, self.P2, "Carol")
        self.assertEqual([attr(s, "id") for s in burst if is_message(s, self.P2 + "/Carol")],
                         msg_ids, "history saved at shutdown:\n" + show(burst))
        own = [s for s in burst if is_presence_from(s, self.P2 + "/Carol")]
        self.assertEqual(muc_item(own[-1]).get("affiliation"), "member")
        reply = self.disco_info(carol2, self.T1)
        self.assert_error(reply, "cancel", "item-not-found", "the temporary room after a stop")

    def test_sigterm_while_prosody_is_down_exits_0(self):
        mucd = self.start_stack({"component": {"reconnect_max": 30}})
        alice = self.login("alice")
        self.create_room(alice, self.P1, "Alice", {F_PERSISTENT: "1", F_NAME: "Keep one"})
        offset = mucd.log_offset()
        terminate_process(self.prosody.proc, WAIT, signal.SIGKILL)
        mucd.wait_log("reconnecting to", timeout=WAIT, offset=offset)
        mucd.signal(signal.SIGTERM)
        started = time.monotonic()
        self.assertEqual(mucd.wait_exit(WAIT), 0, mucd.log_tail())
        took = time.monotonic() - started
        self.assertLess(took, scaled(5.0),
                        "a stop during the backoff waited %.1f s" % took)
        self.assertIn("mucd: stopped (exit code 0)", mucd.log_text())
        self.assert_store_opens(mucd, readers_clear=True)
        self.assertEqual(self.mucctl_export(mucd)["keep1"]["title"], "Keep one")


if __name__ == "__main__":
    unittest.main(verbosity=2)
