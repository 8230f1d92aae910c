"""Security properties of mucd (issue 7), end to end with real clients.

A smaller set of the checks of tests/unit/test_security.c, through one
private Prosody and one mucd for the class, with slixmpp clients of the
pre-registered accounts alice, bob, carol, dave and erin:

* a semi-anonymous room (the default, muc#roomconfig_whois = moderators)
  never shows a real JID to a non-moderator: join bursts, presence
  broadcasts, a nick change, leaving, history, private messages, disco of
  the room - every stanza a participant receives is searched as text for
  the other users' bare JIDs, while the owner (a moderator) does see them;
  a decline sent to the inviter's occupant JID reaches the inviter;
* a password-protected room never shows its password to a non-owner:
  not in disco#info, not in the owner form (forbidden), not in join
  errors, not in echoed presences, not in the admin lists - the owner
  does see it in the form;
* a muc#admin set mixing an allowed and a refused item is refused whole:
  the right error, no change in the lists, no presence broadcast.
"""

import unittest
from xml.sax.saxutils import escape

from harness import NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING, Prosody, attr, new_id, q, show
from muc_helpers import (
    DOMAIN, NS_DATA, NS_MUC_ADMIN, NS_MUC_OWNER, NS_MUC_USER, NS_ROOMCONFIG, SharedStackBase,
    is_error, is_message, is_presence, muc_x, status_codes,
)

HOST = Prosody.HOST
PASSWORD = "security-pw"
SECRET = "Op3n-S3same-7x"

SELF, NICK_CHANGED = 110, 303
USERS = ("alice", "bob", "carol", "dave", "erin")


def bare_of(user):
    return "%s@%s" % (user, HOST)


def text_of(st):
    return str(st)


class SecurityTest(SharedStackBase):
    """Leaks of real JIDs and passwords, and mixed muc#admin sets."""

    password = PASSWORD
    failure_log_lines = 80

    def setUp(self):
        super().setUp()
        self.seen = {}  # client -> stanzas taken from its queue so far

    # -- sessions and waiting ---------------------------------------------------

    def login(self, user, available=False):
        cls = type(self)
        cls._resource_counter += 1
        client = self.new_client(self.prosody, user=user, password=PASSWORD, register=False,
                                 resource="sec%d" % cls._resource_counter)
        self.seen[client] = []
        if available:
            client.send_raw("<presence/>")
            reply = client.send_iq_raw("<iq type='get' to='%s'><ping xmlns='%s'/></iq>"
                                       % (HOST, NS_PING))
            self.assertEqual(attr(reply, "type"), "result", str(reply))
        return client

    def take(self, client, pred, what):
        st = self.wait(client, pred, what)
        self.seen[client].append(st)
        return st

    def iq(self, client, xml):
        reply = client.send_iq_raw(xml)
        self.seen[client].append(reply)
        return reply

    def enter(self, client, room, nick, x_payload=""):
        burst = self.join(client, room, nick, x_payload)
        self.seen[client].extend(burst)
        return burst

    def barrier(self, *clients):
        """A round trip to mucd per client: what mucd sent before is in."""
        for c in clients:
            reply = c.send_iq_raw("<iq type='get' to='%s'><query xmlns='%s'/></iq>"
                                  % (DOMAIN, NS_DISCO_INFO))
            self.assertEqual(attr(reply, "type"), "result", str(reply))

    def everything(self, client):
        """Every stanza the client got from the service (taken or queued)."""
        return [st for st in self.seen[client] + client.received()
                if (attr(st, "from") or "").split("/")[0].endswith(DOMAIN)]

    def assert_no_foreign_jid(self, client, user):
        """Nothing ``client`` (of ``user``) got shows another user's JID."""
        stanzas = self.everything(client)
        self.assertTrue(stanzas, "%s got nothing at all" % user)
        for st in stanzas:
            text = text_of(st)
            for other in USERS:
                if other != user:
                    self.assertNotIn(bare_of(other), text,
                                     "%s's real JID shown to %s:\n%s" % (other, user, text))

    def assert_shown(self, client, needle):
        texts = [text_of(st) for st in self.everything(client)]
        self.assertTrue(any(needle in t for t in texts),
                        "%s never shown %s:\n%s" % (client.jid, needle, "\n".join(texts)))

    def assert_secret_kept(self, client):
        for st in self.everything(client):
            self.assertNotIn(SECRET, text_of(st), "the password shown to %s" % client.jid)

    # -- requests -----------------------------------------------------------------

    def configure(self, client, room, values):
        fields = ["<field var='FORM_TYPE' type='hidden'><value>%s</value></field>"
                  % NS_ROOMCONFIG]
        for var, value in values.items():
            fields.append("<field var='%s'><value>%s</value></field>" % (var, escape(value)))
        reply = self.iq(client, "<iq type='set' to='%s' id='%s'><query xmlns='%s'><x xmlns='%s' "
                        "type='submit'>%s</x></query></iq>"
                        % (room, new_id("cfg"), NS_MUC_OWNER, NS_DATA, "".join(fields)))
        self.assertEqual(attr(reply, "type"), "result", str(reply))

    def create_room(self, client, room, nick, values=None):
        burst = self.enter(client, room, nick)
        self.configure(client, room, values or {})
        return burst

    def admin_set(self, client, room, items):
        return self.iq(client, "<iq type='set' to='%s' id='%s'><query xmlns='%s'>%s</query></iq>"
                       % (room, new_id("adm"), NS_MUC_ADMIN, items))

    def admin_get(self, client, room, item_attrs):
        return self.iq(client, "<iq type='get' to='%s' id='%s'><query xmlns='%s'><item %s/>"
                       "</query></iq>" % (room, new_id("adm-get"), NS_MUC_ADMIN, item_attrs))

    def owner_get(self, client, room):
        return self.iq(client, "<iq type='get' to='%s' id='%s'><query xmlns='%s'/></iq>"
                       % (room, new_id("own-get"), NS_MUC_OWNER))

    def affiliation_list(self, client, room, affiliation):
        reply = self.admin_get(client, room, "affiliation='%s'" % affiliation)
        self.assertEqual(attr(reply, "type"), "result", str(reply))
        query = reply.xml.find(q(NS_MUC_ADMIN, "query"))
        return sorted(i.get("jid") for i in query.findall(q(NS_MUC_ADMIN, "item")))

    def see_presence(self, clients, room, nick, ptype=None):
        for c in clients:
            self.take(c, lambda s: is_presence(s, "%s/%s" % (room, nick), ptype),
                      "%s's presence (%s) in %s" % (nick, ptype, room))

    # 1 ----------------------------------------------------------------------
    def test_semianonymous_room_hides_real_jids(self):
        room = self.room()
        alice, bob, carol = self.login("alice"), self.login("bob"), self.login("carol")
        self.create_room(alice, room, "Alice")

        burst = self.enter(bob, room, "Bob")
        own = [s for s in burst if SELF in status_codes(s)][-1]
        self.assertNotIn(100, status_codes(own), str(own))  # semi-anonymous
        self.see_presence([alice], room, "Bob")
        self.enter(carol, room, "Carol")
        self.see_presence([alice, bob], room, "Carol")

        # History for a later joiner.
        for client, nick, body in ((bob, "Bob", "from bob"), (alice, "Alice", "from alice")):
            msg_id = new_id("gc")
            client.send_raw("<message type='groupchat' to='%s' id='%s'><body>%s</body></message>"
                            % (room, msg_id, body))
            for c in (alice, bob, carol):
                self.take(c, lambda s, i=msg_id: is_message(s) and attr(s, "id") == i,
                          "groupchat %s" % msg_id)

        # A private message with nested elements: from the occupant JID only.
        carol.send_raw("<message type='chat' to='%s/Bob' id='pm1'><body>psst</body>"
                       "<thread>t-1</thread><x xmlns='jabber:x:oob'><url>http://example.org/"
                       "</url></x></message>" % room)
        pm = self.take(bob, lambda s: is_message(s, mtype="chat") and attr(s, "id") == "pm1",
                       "Carol's private message")
        self.assertEqual(attr(pm, "from"), room + "/Carol", str(pm))
        self.assertIsNotNone(muc_x(pm), str(pm))

        # A nick change (303), then a later joiner with history.
        bob.send_raw("<presence to='%s/Robert'/>" % room)
        for c in (alice, bob, carol):
            gone = self.take(c, lambda s: is_presence(s, room + "/Bob", "unavailable"),
                             "Bob's 303")
            self.assertIn(NICK_CHANGED, status_codes(gone), str(gone))
            self.take(c, lambda s: is_presence(s, room + "/Robert"), "Robert's presence")
        dave = self.login("dave")
        burst = self.enter(dave, room, "Dave")
        delayed = [s for s in burst if is_message(s) and s.xml.find("{urn:xmpp:delay}delay")
                   is not None]
        self.assertEqual(len(delayed), 2, show(burst))
        self.see_presence([alice, bob, carol], room, "Dave")

        # Disco of the room and of an occupant, from a participant.
        for ns in (NS_DISCO_INFO, NS_DISCO_ITEMS):
            reply = self.iq(carol, "<iq type='get' to='%s' id='%s'><query xmlns='%s'/></iq>"
                            % (room, new_id("disco"), ns))
            self.assertEqual(attr(reply, "type"), "result", str(reply))
        items = reply.xml.find(q(NS_DISCO_ITEMS, "query")).findall(q(NS_DISCO_ITEMS, "item"))
        self.assertEqual(sorted(i.get("jid") for i in items),
                         sorted("%s/%s" % (room, n) for n in ("Alice", "Robert", "Carol", "Dave")),
                         str(reply))

        # An error reply (nick in use) names nobody.
        erin = self.login("erin")
        err = self.join_error(erin, room, "Carol")
        self.seen[erin].append(err)
        self.assert_stanza_error(err, "cancel", "conflict")

        # Leaving.
        carol.send_raw("<presence type='unavailable' to='%s/Carol'/>" % room)
        self.see_presence([alice, bob, carol, dave], room, "Carol", "unavailable")

        self.barrier(alice, bob, carol, dave, erin)
        for client, user in ((bob, "bob"), (carol, "carol"), (dave, "dave"), (erin, "erin")):
            self.assert_no_foreign_jid(client, user)
        # The positive control: the owner, a moderator, sees them all.
        for user in ("bob", "carol", "dave"):
            self.assert_shown(alice, bare_of(user))

    # 2 ----------------------------------------------------------------------
    def test_decline_to_occupant_jid_reaches_inviter(self):
        room = self.room()
        alice, bob = self.login("alice"), self.login("bob")
        erin = self.login("erin", available=True)
        self.create_room(alice, room, "Alice", {"muc#roomconfig_allowinvites": "1"})
        self.enter(bob, room, "Bob")

        bob.send_raw("<message to='%s' id='inv1'><x xmlns='%s'><invite to='%s'/></x></message>"
                     % (room, NS_MUC_USER, bare_of("erin")))
        m = self.take(erin, lambda s: is_message(s, room, None) and muc_x(s) is not None,
                      "the invitation")
        inviter = muc_x(m).find(q(NS_MUC_USER, "invite")).get("from")
        self.assertNotIn(bare_of("bob"), inviter or "", str(m))
        erin.send_raw("<message to='%s' id='dec1'><x xmlns='%s'><decline to='%s'><reason>busy"
                      "</reason></decline></x></message>" % (room, NS_MUC_USER, inviter))
        d = self.take(bob, lambda s: attr(s, "from") == room and muc_x(s) is not None
                      and muc_x(s).find(q(NS_MUC_USER, "decline")) is not None,
                      "Erin's decline")
        self.assertNotEqual(attr(d, "type"), "error", str(d))
        decline = muc_x(d).find(q(NS_MUC_USER, "decline"))
        self.assertEqual(decline.get("from"), bare_of("erin"), str(d))
        self.barrier(alice, erin)
        self.assert_nothing(alice, lambda s: muc_x(s) is not None
                            and muc_x(s).find(q(NS_MUC_USER, "decline")) is not None,
                            "someone else's decline")
        self.assert_nothing(erin, lambda s: is_error(s, "message", room), "an error")

    # 3 ----------------------------------------------------------------------
    def test_password_never_shown_to_non_owners(self):
        room = self.room()
        alice, bob, carol = self.login("alice"), self.login("bob"), self.login("carol")
        dave = self.login("dave")
        self.create_room(alice, room, "Alice", {
            "muc#roomconfig_passwordprotectedroom": "1",
            "muc#roomconfig_roomsecret": SECRET,
        })
        reply = self.admin_set(alice, room, "<item jid='%s' affiliation='admin'/>"
                               % bare_of("dave"))
        self.assertEqual(attr(reply, "type"), "result", str(reply))

        # Wrong or no password: not-authorized, without the secret.
        for payload in ("", "<password>wrong</password>",
                        "<password>%s</password>" % SECRET[:-1]):
            err = self.join_error(bob, room, "Bob", payload)
            self.seen[bob].append(err)
            self.assert_stanza_error(err, "auth", "not-authorized")

        # Entering with it: nobody gets it echoed back.
        pw = "<password>%s</password>" % SECRET
        self.enter(bob, room, "Bob", pw)
        self.enter(carol, room, "Carol", pw)
        self.enter(dave, room, "Dave", pw)
        self.see_presence([bob], room, "Carol")
        self.see_presence([bob, carol], room, "Dave")

        # disco#info: password-protected, no secret.
        reply = self.iq(bob, "<iq type='get' to='%s' id='%s'><query xmlns='%s'/></iq>"
                        % (room, new_id("info"), NS_DISCO_INFO))
        features = [f.get("var") for f in
                    reply.xml.find(q(NS_DISCO_INFO, "query")).findall(q(NS_DISCO_INFO, "feature"))]
        self.assertIn("muc_passwordprotected", features, str(reply))

        # The owner form: forbidden to a participant and to an admin.
        for client in (bob, dave):
            reply = self.owner_get(client, room)
            self.assertEqual(attr(reply, "type"), "error", str(reply))
            self.assert_stanza_error(reply, "auth", "forbidden")

        # The admin's lists.
        for aff in ("owner", "admin", "member", "outcast"):
            self.affiliation_list(dave, room, aff)
        reply = self.admin_get(dave, room, "role='participant'")
        self.assertEqual(attr(reply, "type"), "result", str(reply))

        self.barrier(alice, bob, carol, dave)
        for client in (bob, carol, dave):
            self.assert_secret_kept(client)

        # The positive control: the owner sees it in the form.
        reply = self.owner_get(alice, room)
        form = reply.xml.find(q(NS_MUC_OWNER, "query")).find(q(NS_DATA, "x"))
        secret = [f for f in form.findall(q(NS_DATA, "field"))
                  if f.get("var") == "muc#roomconfig_roomsecret"]
        self.assertEqual(len(secret), 1, str(reply))
        self.assertEqual(secret[0].findtext(q(NS_DATA, "value")), SECRET, str(reply))

    # 4 ----------------------------------------------------------------------
    def test_mixed_multi_item_admin_set_refused_whole(self):
        room = self.room()
        alice, bob, carol = self.login("alice"), self.login("bob"), self.login("carol")
        dave = self.login("dave")
        self.create_room(alice, room, "Alice")
        reply = self.admin_set(alice, room, "<item jid='%s' affiliation='admin'/>"
                               % bare_of("dave"))
        self.assertEqual(attr(reply, "type"), "result", str(reply))
        for client, nick in ((bob, "Bob"), (carol, "Carol"), (dave, "Dave")):
            self.enter(client, room, nick)
        self.see_presence([alice, bob, carol], room, "Dave")
        self.barrier(alice, bob, carol, dave)
        for c in (alice, bob, carol, dave):
            c.drain()

        # An admin: a member (allowed) and an owner (owners only): forbidden.
        reply = self.admin_set(dave, room, "<item jid='%s' affiliation='member'/>"
                               "<item jid='%s' affiliation='owner'/>"
                               % (bare_of("bob"), bare_of("carol")))
        self.assertEqual((attr(reply, "type"), attr(reply, "from")), ("error", room), str(reply))
        self.assert_stanza_error(reply, "auth", "forbidden")
        # Kicking Carol (allowed) and the owner (not-allowed, §8.2).
        reply = self.admin_set(dave, room, "<item nick='Carol' role='none'/>"
                               "<item nick='Alice' role='none'/>")
        self.assert_stanza_error(reply, "cancel", "not-allowed")

        self.barrier(alice, bob, carol, dave)
        for c in (alice, bob, carol, dave):
            self.assert_nothing(c, lambda s: is_presence(s, room + "/Bob")
                                or is_presence(s, room + "/Carol", "unavailable")
                                or is_presence(s, room + "/Alice", "unavailable"),
                                "a presence for a refused set")
        self.assertEqual(self.affiliation_list(alice, room, "member"), [])
        self.assertEqual(self.affiliation_list(alice, room, "owner"), [bare_of("alice")])
        reply = self.admin_get(alice, room, "role='participant'")
        nicks = sorted(i.get("nick") for i in
                       reply.xml.find(q(NS_MUC_ADMIN, "query")).findall(q(NS_MUC_ADMIN, "item")))
        self.assertEqual(nicks, ["Bob", "Carol"], str(reply))


if __name__ == "__main__":
    unittest.main()
