"""Room administration in mucd (XEP-0045 §8-§10), end to end with real clients.

One private Prosody and one mucd serve every test of a class (started in
``setUpClass``); each test logs in fresh sessions of the pre-registered
accounts alice, bob, carol, dave and erin and uses a room of its own, so the
tests do not depend on each other. Stanzas go client -> Prosody (c2s) ->
mucd (XEP-0114) -> Prosody -> client; the assertions are on what the clients
actually receive: status codes in <x xmlns='http://jabber.org/protocol/muc#user'/>,
item roles and affiliations, error types and conditions.

Covered: the owner configuration form (reserved rooms, 104 announcements,
atomic validation), password-protected and members-only rooms (322),
bans (301), kicks (307), voice in moderated rooms, the privilege rules and
atomic multi-item muc#admin sets, destroying a room with an alternate venue,
mediated invitations and declines, service admins and room capacity.
"""

import unittest
from xml.sax.saxutils import escape, quoteattr

from harness import (
    NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING, Prosody, attr, bare, error_of, new_id, q, show,
    stanza_kind, stanza_xml,
)
from muc_helpers import (
    DOMAIN, NS_DATA, NS_MUC_ADMIN, NS_MUC_OWNER, NS_MUC_USER, NS_ROOMCONFIG, SharedStackBase,
    body_of, is_error, is_message, is_presence, muc_item, muc_item_el, muc_x, status_codes,
)

HOST = Prosody.HOST
PASSWORD = "muc-admin-pw"

# XEP-0045 status codes.
CONFIG_CHANGED, SELF, NOW_NON_ANONYMOUS, CREATED = 104, 110, 172, 201
BANNED, KICKED, MEMBERS_ONLY_REMOVED = 301, 307, 322

CONFIG_FIELDS = (
    "muc#roomconfig_roomname", "muc#roomconfig_roomdesc", "muc#roomconfig_lang",
    "muc#roomconfig_persistentroom", "muc#roomconfig_publicroom",
    "muc#roomconfig_membersonly", "muc#roomconfig_passwordprotectedroom",
    "muc#roomconfig_roomsecret", "muc#roomconfig_moderatedroom", "muc#roomconfig_whois",
    "muc#roomconfig_maxusers", "muc#roomconfig_changesubject",
    "muc#roomconfig_allowinvites", "muc#roomconfig_allowpm",
    "muc#roomconfig_historylength", "muc#roomconfig_roomowners",
    "muc#roomconfig_roomadmins", "muc#roomconfig_contactjid",
)


# ---------------------------------------------------------------------------
# Reading received stanzas
# ---------------------------------------------------------------------------

def item_reason(st):
    item = muc_item_el(st)
    return item.findtext(q(NS_MUC_USER, "reason")) if item is not None else None


def item_actor(st):
    """The attributes of <item><actor/></item> (a dict; None if absent)."""
    item = muc_item_el(st)
    actor = item.find(q(NS_MUC_USER, "actor")) if item is not None else None
    return dict(actor.attrib) if actor is not None else None


def child_reasons(el):
    """``[(namespace, text)]`` of the <reason/> children of ``el``, in any
    namespace (so that a wrong namespace is reported, not just "missing")."""
    out = []
    for child in el:
        ns, _, local = child.tag[1:].partition("}") if child.tag.startswith("{") else (
            None, None, child.tag)
        if local == "reason":
            out.append((ns, child.text))
    return out


def is_config_notice(st, room):
    """The room's groupchat announcement that its configuration changed."""
    return (is_message(st, room) and body_of(st) is None
            and CONFIG_CHANGED in status_codes(st))


def query_of(st, ns):
    return stanza_xml(st).find(q(ns, "query"))


def data_form(st, ns):
    """The jabber:x:data form inside <query xmlns=ns/> of an iq result."""
    query = query_of(st, ns)
    return query.find(q(NS_DATA, "x")) if query is not None else None


def form_fields(form):
    """``{var: {"type", "label", "values", "options"}}`` of a data form."""
    out = {}
    for f in form.findall(q(NS_DATA, "field")):
        out[f.get("var")] = {
            "type": f.get("type"),
            "label": f.get("label"),
            "values": [v.text or "" for v in f.findall(q(NS_DATA, "value"))],
            "options": [o.findtext(q(NS_DATA, "value"))
                        for o in f.findall(q(NS_DATA, "option"))],
        }
    return out


def field_value(fields, var):
    values = fields[var]["values"]
    return values[0] if values else None


def admin_items(st):
    """``[(affiliation, role, jid, nick)]`` of a muc#admin query result."""
    query = query_of(st, NS_MUC_ADMIN)
    if query is None:
        return []
    return [(i.get("affiliation"), i.get("role"), i.get("jid"), i.get("nick"))
            for i in query.findall(q(NS_MUC_ADMIN, "item"))]


# ---------------------------------------------------------------------------
# One Prosody + mucd per class
# ---------------------------------------------------------------------------

class SharedStackTestCase(SharedStackBase):
    """:class:`SharedStackBase` with this suite's sessions and requests."""

    password = PASSWORD
    failure_log_lines = 80

    # -- sessions -------------------------------------------------------------

    def login(self, user, available=False):
        """A new logged-in session of ``user``; with ``available`` it also
        sends initial presence, so that messages to the bare JID reach it."""
        cls = type(self)
        cls._resource_counter += 1
        client = self.new_client(self.prosody, user=user, password=PASSWORD, register=False,
                                 resource="adm%d" % cls._resource_counter)
        if available:
            client.send_raw("<presence/>")
            # c2s handles stanzas in order: once the ping is answered, Prosody
            # knows the session is available.
            reply = client.send_iq_raw("<iq type='get' to='%s'><ping xmlns='%s'/></iq>"
                                       % (HOST, NS_PING))
            self.assertEqual(attr(reply, "type"), "result", str(reply))
        return client

    # -- waiting ------------------------------------------------------------

    def barrier(self, *clients):
        """Round trip to mucd from each client: whatever mucd sent a client
        before handling its iq has been delivered once the reply is in."""
        for c in clients:
            reply = c.send_iq_raw("<iq type='get' to='%s'><query xmlns='%s'/></iq>"
                                  % (DOMAIN, NS_DISCO_INFO))
            self.assertEqual(attr(reply, "type"), "result", str(reply))

    # -- entering -----------------------------------------------------------

    def own_presence(self, burst, room, nick):
        """The joiner's own presence (110) in a join burst."""
        own = [s for s in burst if attr(s, "from") == "%s/%s" % (room, nick)
               and SELF in status_codes(s)]
        self.assertTrue(own, "no own presence in:\n" + show(burst))
        return own[-1]

    def leave(self, client, room, nick):
        client.send_raw("<presence type='unavailable' to=%s/>"
                        % quoteattr("%s/%s" % (room, nick)))
        self.wait(client, lambda s: is_presence(s, "%s/%s" % (room, nick), "unavailable"),
                  "own exit from %s" % room)

    def see_join(self, clients, room, nick):
        for c in clients:
            self.wait(c, lambda s: is_presence(s, "%s/%s" % (room, nick)),
                      "%s's presence in %s" % (nick, room))

    # -- errors ---------------------------------------------------------------

    def assert_iq_error(self, reply, frm, err_type, condition):
        self.assertEqual((attr(reply, "type"), attr(reply, "from")), ("error", frm), str(reply))
        return self.assert_stanza_error(reply, err_type, condition)

    def assert_result(self, reply, frm, client):
        self.assertEqual((attr(reply, "type"), attr(reply, "from"), attr(reply, "to")),
                         ("result", frm, client.full_jid), str(reply))

    # -- owner and admin requests ----------------------------------------------

    def get_config(self, client, room):
        return client.send_iq_raw("<iq type='get' to='%s' id='%s'><query xmlns='%s'/></iq>"
                                  % (room, new_id("cfg-get"), NS_MUC_OWNER))

    def submit_config(self, client, room, values, form_type=True):
        """Submit the configuration form with ``values`` ({var: str or list})."""
        fields = []
        if form_type:
            fields.append("<field var='FORM_TYPE' type='hidden'><value>%s</value></field>"
                          % NS_ROOMCONFIG)
        for var, value in values.items():
            vals = value if isinstance(value, (list, tuple)) else [value]
            fields.append("<field var=%s>%s</field>" % (
                quoteattr(var), "".join("<value>%s</value>" % escape(v) for v in vals)))
        return client.send_iq_raw(
            "<iq type='set' to='%s' id='%s'><query xmlns='%s'><x xmlns='%s' type='submit'>"
            "%s</x></query></iq>" % (room, new_id("cfg-set"), NS_MUC_OWNER, NS_DATA,
                                     "".join(fields)))

    def configure(self, client, room, values):
        reply = self.submit_config(client, room, values)
        self.assert_result(reply, room, client)
        return reply

    def create_room(self, client, room, nick, values=None):
        """Create ``room`` as owner and unlock it with a submitted form
        (``values``; an empty submit: an instant room). Returns the burst."""
        burst = self.join(client, room, nick)
        self.assertEqual(status_codes(burst[0]), [SELF, CREATED], show(burst))
        self.configure(client, room, values or {})
        return burst

    def admin_set(self, client, room, items):
        return client.send_iq_raw("<iq type='set' to='%s' id='%s'><query xmlns='%s'>%s"
                                  "</query></iq>" % (room, new_id("adm-set"), NS_MUC_ADMIN,
                                                     items))

    def admin_get(self, client, room, item_attrs):
        return client.send_iq_raw("<iq type='get' to='%s' id='%s'><query xmlns='%s'>"
                                  "<item %s/></query></iq>"
                                  % (room, new_id("adm-get"), NS_MUC_ADMIN, item_attrs))

    def affiliation_list(self, client, room, affiliation):
        reply = self.admin_get(client, room, "affiliation='%s'" % affiliation)
        self.assert_result(reply, room, client)
        items = admin_items(reply)
        for item in items:
            self.assertEqual(item[0], affiliation, str(reply))
        return sorted(item[2] for item in items)

    def destroy(self, client, room, inner=""):
        return client.send_iq_raw("<iq type='set' to='%s' id='%s'><query xmlns='%s'>"
                                  "%s</query></iq>" % (room, new_id("destroy"), NS_MUC_OWNER,
                                                       inner))

    def assert_reasons_in_muc_user(self, reasons):
        """The <destroy><reason/></destroy> each occupant got is in the muc#user
        namespace of its <x/> (XEP-0045 §10.9), not in the muc#owner namespace
        of the owner's request. Checked last so the rest of a test still runs."""
        wrong = [(ns, pres) for ns, _text, pres in reasons if ns != NS_MUC_USER]
        if wrong:
            self.fail("<destroy><reason/></destroy> must be in %s (the namespace of the "
                      "enclosing <x/>), got %s in %d of %d presences:\n%s"
                      % (NS_MUC_USER, sorted({ns for ns, _ in wrong}), len(wrong),
                         len(reasons), "\n".join(pres for _, pres in wrong)))

    # -- disco ------------------------------------------------------------------

    def room_info(self, client, room):
        """``(identity names, features)`` of a room's disco#info (asserting a result)."""
        reply = self.disco_info(client, room)
        self.assertEqual((attr(reply, "type"), attr(reply, "from")), ("result", room),
                         str(reply))
        query = query_of(reply, NS_DISCO_INFO)
        names = [i.get("name") for i in query.findall(q(NS_DISCO_INFO, "identity"))]
        features = [f.get("var") for f in query.findall(q(NS_DISCO_INFO, "feature"))]
        return reply, names, features

    def listed_rooms(self, client):
        reply = client.send_iq_raw("<iq type='get' to='%s' id='%s'><query xmlns='%s'/></iq>"
                                   % (DOMAIN, new_id("items"), NS_DISCO_ITEMS))
        self.assertEqual(attr(reply, "type"), "result", str(reply))
        query = query_of(reply, NS_DISCO_ITEMS)
        return [i.get("jid") for i in query.findall(q(NS_DISCO_ITEMS, "item"))]

    # -- messages -----------------------------------------------------------------

    def groupchat(self, client, room, body):
        msg_id = new_id("gc")
        client.send_raw("<message type='groupchat' to='%s' id='%s'><body>%s</body></message>"
                        % (room, msg_id, escape(body)))
        return msg_id

    def invitation(self, client, room):
        """Wait for a mediated invitation from ``room``; return (message, <invite/>)."""
        def is_invite(s):
            x = muc_x(s)
            return (stanza_kind(s) == "message" and attr(s, "from") == room
                    and attr(s, "type") != "error" and x is not None
                    and x.find(q(NS_MUC_USER, "invite")) is not None)
        m = self.wait(client, is_invite, "an invitation from %s" % room)
        return m, muc_x(m).find(q(NS_MUC_USER, "invite"))


# ---------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------

class RoomAdminTest(SharedStackTestCase):
    """Owner, admin and moderator use cases with the default service configuration."""

    # 1 ----------------------------------------------------------------------
    def test_configure_reserved_room_with_form(self):
        room = self.room()
        alice, bob = self.login("alice"), self.login("bob")
        burst = self.join(alice, room, "Alice")
        self.assertEqual(status_codes(burst[0]), [SELF, CREATED], show(burst))

        reply = self.get_config(alice, room)
        self.assert_result(reply, room, alice)
        form = data_form(reply, NS_MUC_OWNER)
        self.assertIsNotNone(form, "no data form in %s" % reply)
        self.assertEqual(form.get("type"), "form", str(reply))
        fields = form_fields(form)
        self.assertEqual(fields.get("FORM_TYPE", {}).get("type"), "hidden", str(reply))
        self.assertEqual(field_value(fields, "FORM_TYPE"), NS_ROOMCONFIG, str(reply))
        for var in CONFIG_FIELDS:
            self.assertIn(var, fields, "field %s missing:\n%s" % (var, reply))
            self.assertTrue(fields[var]["label"], "field %s has no label:\n%s" % (var, reply))
            self.assertTrue(fields[var]["type"], "field %s has no type:\n%s" % (var, reply))
        self.assertEqual(field_value(fields, "muc#roomconfig_moderatedroom"), "0")
        self.assertEqual(field_value(fields, "muc#roomconfig_whois"), "moderators")
        self.assertEqual(sorted(fields["muc#roomconfig_whois"]["options"]),
                         ["anyone", "moderators"], str(reply))
        self.assertEqual(sorted(fields["muc#roomconfig_allowpm"]["options"]),
                         ["anyone", "moderators", "none", "participants"], str(reply))
        self.assertEqual(fields["muc#roomconfig_roomowners"]["values"], ["alice@%s" % HOST],
                         str(reply))

        # The reserved room: configured before anyone else may enter.
        self.configure(alice, room, {
            "muc#roomconfig_roomname": "Release Planning",
            "muc#roomconfig_roomdesc": "Where releases get planned",
            "muc#roomconfig_lang": "en",
            "muc#roomconfig_moderatedroom": "1",
            "muc#roomconfig_changesubject": "0",
            "muc#roomconfig_historylength": "5",
        })
        reply, names, features = self.room_info(alice, room)
        self.assertEqual(names, ["Release Planning"], str(reply))
        self.assertIn("muc_moderated", features, str(reply))
        self.assertNotIn("muc_unmoderated", features, str(reply))
        fields = form_fields(data_form(self.get_config(alice, room), NS_MUC_OWNER))
        self.assertEqual((field_value(fields, "muc#roomconfig_roomname"),
                          field_value(fields, "muc#roomconfig_roomdesc"),
                          field_value(fields, "muc#roomconfig_lang"),
                          field_value(fields, "muc#roomconfig_moderatedroom"),
                          field_value(fields, "muc#roomconfig_historylength")),
                         ("Release Planning", "Where releases get planned", "en", "1", "5"))

        burst = self.join(bob, room, "Bob")
        own = self.own_presence(burst, room, "Bob")
        self.assertEqual((muc_item(own).get("affiliation"), muc_item(own).get("role")),
                         ("none", "visitor"), str(own))
        self.see_join([alice], room, "Bob")

        # A non-owner may neither read nor submit the form.
        reply = self.get_config(bob, room)
        self.assert_iq_error(reply, room, "auth", "forbidden")
        reply = self.submit_config(bob, room, {"muc#roomconfig_roomname": "Bob's"})
        self.assert_iq_error(reply, room, "auth", "forbidden")

        # A change while occupied is announced to everyone present (104; 172
        # because the room became non-anonymous).
        self.configure(alice, room, {"muc#roomconfig_roomdesc": "Planning, now open",
                                     "muc#roomconfig_whois": "anyone"})
        for c in (alice, bob):
            m = self.wait(c, lambda s: is_config_notice(s, room), "the 104 announcement")
            self.assertEqual((attr(m, "from"), attr(m, "to"), attr(m, "type")),
                             (room, c.full_jid, "groupchat"), str(m))
            self.assertEqual(status_codes(m), [CONFIG_CHANGED, NOW_NON_ANONYMOUS], str(m))

        # An invalid value refuses the whole form and names the field.
        reply = self.submit_config(alice, room, {"muc#roomconfig_roomname": "Hijacked",
                                                 "muc#roomconfig_whois": "everybody"})
        err = self.assert_iq_error(reply, room, "modify", "bad-request")
        self.assertIn("muc#roomconfig_whois", err[3] or "", "the error text names the field: %s"
                      % reply)
        fields = form_fields(data_form(self.get_config(alice, room), NS_MUC_OWNER))
        self.assertEqual((field_value(fields, "muc#roomconfig_roomname"),
                          field_value(fields, "muc#roomconfig_roomdesc"),
                          field_value(fields, "muc#roomconfig_whois")),
                         ("Release Planning", "Planning, now open", "anyone"))
        reply, names, _ = self.room_info(bob, room)
        self.assertEqual(names, ["Release Planning"], str(reply))
        self.barrier(alice, bob)
        for c in (alice, bob):
            self.assert_nothing(c, lambda s: is_config_notice(s, room), "a 104 for a refused form")

    # 2 ----------------------------------------------------------------------
    def test_password_protected_room(self):
        room = self.room()
        alice, bob = self.login("alice"), self.login("bob")
        self.create_room(alice, room, "Alice", {
            "muc#roomconfig_passwordprotectedroom": "1",
            "muc#roomconfig_roomsecret": "s3cret",
        })

        err = self.join_error(bob, room, "Bob")
        self.assertEqual(attr(err, "from"), room + "/Bob", str(err))
        self.assert_stanza_error(err, "auth", "not-authorized")
        err = self.join_error(bob, room, "Bob", "<password>wrong</password>")
        self.assert_stanza_error(err, "auth", "not-authorized")
        self.barrier(alice)
        self.assert_nothing(alice, lambda s: attr(s, "from") == room + "/Bob",
                            "a refused entry")

        burst = self.join(bob, room, "Bob", "<password>s3cret</password>")
        own = self.own_presence(burst, room, "Bob")
        self.assertEqual((muc_item(own).get("affiliation"), muc_item(own).get("role")),
                         ("none", "participant"), str(own))
        self.see_join([alice], room, "Bob")

        reply, _, features = self.room_info(bob, room)
        self.assertIn("muc_passwordprotected", features, str(reply))
        self.assertNotIn("muc_unsecured", features, str(reply))
        self.assertNotIn("s3cret", str(reply), "disco#info leaks the password")

    # 3 ----------------------------------------------------------------------
    def test_members_only_room(self):
        room = self.room()
        alice, bob, carol = self.login("alice"), self.login("bob"), self.login("carol")
        self.create_room(alice, room, "Alice", {"muc#roomconfig_membersonly": "1"})
        reply, _, features = self.room_info(carol, room)
        self.assertIn("muc_membersonly", features, str(reply))
        self.assertNotIn("muc_open", features, str(reply))

        err = self.join_error(carol, room, "Carol")
        self.assertEqual(attr(err, "from"), room + "/Carol", str(err))
        self.assert_stanza_error(err, "auth", "registration-required")

        reply = self.admin_set(alice, room, "<item affiliation='member' jid='carol@%s'/>" % HOST)
        self.assert_result(reply, room, alice)

        burst = self.join(carol, room, "Carol")
        own = self.own_presence(burst, room, "Carol")
        self.assertEqual((muc_item(own).get("affiliation"), muc_item(own).get("role")),
                         ("member", "participant"), str(own))
        pres = self.wait(alice, lambda s: is_presence(s, room + "/Carol"), "Carol's presence")
        self.assertEqual(muc_item(pres).get("affiliation"), "member", str(pres))

        self.assertEqual(self.affiliation_list(alice, room, "member"), ["carol@%s" % HOST])
        # Only admins and owners see the lists.
        reply = self.admin_get(carol, room, "affiliation='member'")
        self.assert_iq_error(reply, room, "auth", "forbidden")
        # Bob is still not a member.
        err = self.join_error(bob, room, "Bob")
        self.assert_stanza_error(err, "auth", "registration-required")

    def test_switching_members_only_on_removes_non_members(self):
        room = self.room()
        alice, bob, carol = self.login("alice"), self.login("bob"), self.login("carol")
        self.create_room(alice, room, "Alice")
        self.join(bob, room, "Bob")
        self.join(carol, room, "Carol")
        self.see_join([alice, bob], room, "Carol")
        self.see_join([alice], room, "Bob")

        reply = self.admin_set(alice, room, "<item affiliation='member' jid='carol@%s'/>" % HOST)
        self.assert_result(reply, room, alice)
        for c in (alice, bob, carol):
            pres = self.wait(c, lambda s: is_presence(s, room + "/Carol")
                             and muc_item(s).get("affiliation") == "member",
                             "Carol's membership")
            self.assertEqual(muc_item(pres).get("role"), "participant", str(pres))

        self.configure(alice, room, {"muc#roomconfig_membersonly": "1"})
        for c in (alice, bob, carol):
            pres = self.wait(c, lambda s: is_presence(s, room + "/Bob", "unavailable"),
                             "Bob's removal")
            self.assertIn(MEMBERS_ONLY_REMOVED, status_codes(pres), str(pres))
            self.assertEqual(SELF in status_codes(pres), c is bob, str(pres))
            self.assertEqual(muc_item(pres).get("role"), "none", str(pres))
        for c in (alice, carol):
            m = self.wait(c, lambda s: is_config_notice(s, room), "the 104 announcement")
            self.assertEqual(attr(m, "from"), room, str(m))
        self.barrier(alice, bob, carol)
        self.assert_nothing(alice, lambda s: is_presence(s, room + "/Carol", "unavailable"),
                            "the member's removal")
        self.assert_nothing(bob, lambda s: is_config_notice(s, room),
                            "a 104 after being removed")
        # Bob is out: his messages are refused; Carol's go through.
        self.groupchat(bob, room, "still here?")
        err = self.wait(bob, lambda s: is_error(s, "message", room), "an error")
        self.assert_stanza_error(err, "modify", "not-acceptable")
        msg_id = self.groupchat(carol, room, "still here")
        self.wait_groupchat(alice, room + "/Carol", msg_id)

    # 4 ----------------------------------------------------------------------
    def test_ban_and_rejoin_refused(self):
        room = self.room()
        alice, bob, carol = self.login("alice"), self.login("bob"), self.login("carol")
        self.create_room(alice, room, "Alice")
        self.join(bob, room, "Bob")
        self.join(carol, room, "Carol")
        self.see_join([alice], room, "Bob")
        self.see_join([alice, bob], room, "Carol")

        reply = self.admin_set(alice, room, "<item affiliation='outcast' jid='bob@%s'>"
                               "<reason>Trolling</reason></item>" % HOST)
        self.assert_result(reply, room, alice)
        for c in (alice, bob, carol):
            pres = self.wait(c, lambda s: is_presence(s, room + "/Bob", "unavailable"),
                             "Bob's ban")
            self.assertEqual(attr(pres, "to"), c.full_jid, str(pres))
            self.assertIn(BANNED, status_codes(pres), str(pres))
            self.assertEqual(SELF in status_codes(pres), c is bob, str(pres))
            self.assertEqual((muc_item(pres).get("affiliation"), muc_item(pres).get("role")),
                             ("outcast", "none"), str(pres))
            self.assertEqual(item_reason(pres), "Trolling", str(pres))

        err = self.join_error(bob, room, "Bob")
        self.assertEqual(attr(err, "from"), room + "/Bob", str(err))
        self.assert_stanza_error(err, "auth", "forbidden")
        bob2 = self.login("bob")
        err = self.join_error(bob2, room, "NotBob")
        self.assert_stanza_error(err, "auth", "forbidden")
        self.assertEqual(self.affiliation_list(alice, room, "outcast"), ["bob@%s" % HOST])
        self.barrier(alice, carol)
        for c in (alice, carol):
            self.assert_nothing(c, lambda s: attr(s, "from") in (room + "/Bob",
                                                                room + "/NotBob")
                                and attr(s, "type") != "unavailable", "a banned user's entry")

    # 5 ----------------------------------------------------------------------
    def test_kick_and_rejoin(self):
        room = self.room()
        alice, bob, carol = self.login("alice"), self.login("bob"), self.login("carol")
        self.create_room(alice, room, "Alice")
        self.join(bob, room, "Bob")
        self.join(carol, room, "Carol")
        self.see_join([alice], room, "Bob")
        self.see_join([alice, bob], room, "Carol")

        reply = self.admin_set(alice, room, "<item nick='Carol' role='none'>"
                               "<reason>Too noisy</reason></item>")
        self.assert_result(reply, room, alice)
        for c in (alice, bob, carol):
            pres = self.wait(c, lambda s: is_presence(s, room + "/Carol", "unavailable"),
                             "Carol's kick")
            self.assertIn(KICKED, status_codes(pres), str(pres))
            self.assertEqual(SELF in status_codes(pres), c is carol, str(pres))
            self.assertEqual(muc_item(pres).get("role"), "none", str(pres))
            self.assertEqual(item_actor(pres), {"nick": "Alice"}, str(pres))
            self.assertEqual(item_reason(pres), "Too noisy", str(pres))

        # Carol is out ...
        self.groupchat(carol, room, "hello?")
        err = self.wait(carol, lambda s: is_error(s, "message", room), "an error")
        self.assert_stanza_error(err, "modify", "not-acceptable")
        # ... but a kick is no ban.
        burst = self.join(carol, room, "Carol")
        own = self.own_presence(burst, room, "Carol")
        self.assertEqual(muc_item(own).get("role"), "participant", str(own))
        self.see_join([alice, bob], room, "Carol")

    # 6 ----------------------------------------------------------------------
    def test_voice_in_moderated_room(self):
        room = self.room()
        alice, bob = self.login("alice"), self.login("bob")
        self.create_room(alice, room, "Alice", {"muc#roomconfig_moderatedroom": "1"})
        burst = self.join(bob, room, "Bob")
        own = self.own_presence(burst, room, "Bob")
        self.assertEqual((muc_item(own).get("affiliation"), muc_item(own).get("role")),
                         ("none", "visitor"), str(own))
        self.see_join([alice], room, "Bob")

        msg_id = self.groupchat(bob, room, "can I speak?")
        err = self.wait(bob, lambda s: is_error(s, "message", room), "an error")
        self.assertEqual(attr(err, "id"), msg_id, str(err))
        self.assert_stanza_error(err, "auth", "forbidden")

        reply = self.admin_set(alice, room, "<item nick='Bob' role='participant'/>")
        self.assert_result(reply, room, alice)
        for c in (alice, bob):
            pres = self.wait(c, lambda s: is_presence(s, room + "/Bob"), "Bob's voice")
            self.assertEqual(muc_item(pres).get("role"), "participant", str(pres))
            self.assertEqual(muc_item(pres).get("affiliation"), "none", str(pres))
        msg_id = self.groupchat(bob, room, "thanks")
        for c in (alice, bob):
            m = self.wait_groupchat(c, room + "/Bob", msg_id)
            self.assertEqual(body_of(m), "thanks", str(m))

        reply = self.admin_set(alice, room, "<item nick='Bob' role='visitor'/>")
        self.assert_result(reply, room, alice)
        for c in (alice, bob):
            pres = self.wait(c, lambda s: is_presence(s, room + "/Bob"), "Bob's revocation")
            self.assertEqual(muc_item(pres).get("role"), "visitor", str(pres))
        msg_id = self.groupchat(bob, room, "one more thing")
        err = self.wait(bob, lambda s: is_error(s, "message", room), "an error")
        self.assertEqual(attr(err, "id"), msg_id, str(err))
        self.assert_stanza_error(err, "auth", "forbidden")
        self.barrier(alice)
        self.assert_nothing(alice, lambda s: body_of(s) in ("can I speak?", "one more thing"),
                            "a visitor's message")

    # 7 ----------------------------------------------------------------------
    def test_privileges_and_atomic_admin_sets(self):
        room = self.room()
        alice, bob, carol = self.login("alice"), self.login("bob"), self.login("carol")
        self.create_room(alice, room, "Alice")
        self.join(bob, room, "Bob")
        self.join(carol, room, "Carol")
        self.see_join([alice], room, "Bob")
        self.see_join([alice, bob], room, "Carol")

        # A participant changes nobody's role or affiliation.
        reply = self.admin_set(bob, room, "<item nick='Alice' role='none'/>")
        self.assert_iq_error(reply, room, "auth", "forbidden")
        reply = self.admin_set(bob, room, "<item nick='Carol' role='none'/>")
        self.assert_iq_error(reply, room, "auth", "forbidden")
        reply = self.admin_set(bob, room, "<item affiliation='outcast' jid='carol@%s'/>" % HOST)
        self.assert_iq_error(reply, room, "auth", "forbidden")
        self.barrier(alice, carol)
        for c in (alice, carol):
            self.assert_nothing(c, lambda s: is_presence(s, ptype="unavailable"),
                                "someone's removal")

        # One bad item refuses the whole set: the valid one is not applied.
        reply = self.admin_set(alice, room,
                               "<item affiliation='member' jid='dave@%s'/>"
                               "<item affiliation='member' jid='not@valid@jid'/>" % HOST)
        self.assert_iq_error(reply, room, "modify", "jid-malformed")
        self.assertEqual(self.affiliation_list(alice, room, "member"), [])
        reply = self.admin_set(alice, room,
                               "<item affiliation='member' jid='dave@%s'/>"
                               "<item nick='Bob' role='none'/>"
                               "<item nick='Nobody' role='none'/>" % HOST)
        self.assert_iq_error(reply, room, "cancel", "item-not-found")
        self.assertEqual(self.affiliation_list(alice, room, "member"), [])
        self.barrier(alice, bob, carol)
        for c in (alice, bob, carol):
            self.assert_nothing(c, lambda s: attr(s, "from") == room + "/Bob"
                                and attr(s, "type") == "unavailable", "Bob's kick")

        # A valid multi-item set applies every item.
        reply = self.admin_set(alice, room,
                               "<item affiliation='member' jid='dave@%s'/>"
                               "<item affiliation='member' jid='erin@%s'/>" % (HOST, HOST))
        self.assert_result(reply, room, alice)
        self.assertEqual(self.affiliation_list(alice, room, "member"),
                         ["dave@%s" % HOST, "erin@%s" % HOST])

    # 8 ----------------------------------------------------------------------
    def test_destroy_room(self):
        room = self.room()
        alternate = "other@%s" % DOMAIN
        alice, bob, carol = self.login("alice"), self.login("bob"), self.login("carol")
        self.create_room(alice, room, "Alice")
        self.join(bob, room, "Bob")
        self.join(carol, room, "Carol")
        self.see_join([alice], room, "Bob")
        self.see_join([alice, bob], room, "Carol")
        self.assertIn(room, self.listed_rooms(alice))

        destroy = ("<destroy jid='%s'><reason>moved</reason></destroy>" % alternate)
        reply = self.destroy(bob, room, destroy)
        self.assert_iq_error(reply, room, "auth", "forbidden")
        self.room_info(bob, room)  # still there
        self.barrier(alice, carol)
        for c in (alice, carol):
            self.assert_nothing(c, lambda s: is_presence(s, ptype="unavailable"),
                                "a removal after a refused destroy")

        reply = self.destroy(alice, room, destroy)
        self.assert_result(reply, room, alice)
        reasons = []
        for c, nick in ((alice, "Alice"), (bob, "Bob"), (carol, "Carol")):
            pres = self.wait(c, lambda s, n=nick: is_presence(s, "%s/%s" % (room, n),
                                                              "unavailable"),
                             "own unavailable presence on destruction")
            self.assertEqual(attr(pres, "to"), c.full_jid, str(pres))
            self.assertEqual(muc_item(pres).get("role"), "none", str(pres))
            self.assertEqual(muc_item(pres).get("affiliation"), "none", str(pres))
            d = muc_x(pres).find(q(NS_MUC_USER, "destroy"))
            self.assertIsNotNone(d, "no <destroy/> in %s" % pres)
            self.assertEqual(d.get("jid"), alternate, str(pres))
            reasons += [(ns, text, str(pres)) for ns, text in child_reasons(d)]
            self.assertEqual([text for ns, text in child_reasons(d)], ["moved"], str(pres))

        self.assertNotIn(room, self.listed_rooms(bob))
        reply = self.disco_info(bob, room)
        self.assert_iq_error(reply, room, "cancel", "item-not-found")
        reply = self.destroy(alice, room, destroy)
        self.assert_iq_error(reply, room, "cancel", "item-not-found")
        # Messages to the old room go nowhere.
        self.groupchat(carol, room, "anyone?")
        err = self.wait(carol, lambda s: is_error(s, "message", room), "an error")
        self.assertIsNotNone(error_of(err), str(err))
        self.assert_reasons_in_muc_user(reasons)

    # 9 ----------------------------------------------------------------------
    def test_invitation_to_members_only_room(self):
        room = self.room()
        alice = self.login("alice")
        dave = self.login("dave", available=True)
        self.create_room(alice, room, "Alice", {"muc#roomconfig_membersonly": "1"})
        err = self.join_error(dave, room, "Dave")
        self.assert_stanza_error(err, "auth", "registration-required")

        alice.send_raw("<message to='%s' id='inv-1'><x xmlns='%s'><invite to='dave@%s'>"
                       "<reason>hi</reason></invite></x></message>" % (room, NS_MUC_USER, HOST))
        m, invite = self.invitation(dave, room)
        self.assertEqual(attr(m, "to"), "dave@%s" % HOST, "sent to the invitee as named: %s" % m)
        self.assertIn(invite.get("from"), (room + "/Alice", "alice@%s" % HOST), str(m))
        self.assertEqual(invite.findtext(q(NS_MUC_USER, "reason")), "hi", str(m))
        self.assertIsNone(muc_x(m).find(q(NS_MUC_USER, "password")), str(m))

        self.assertEqual(self.affiliation_list(alice, room, "member"), ["dave@%s" % HOST])
        burst = self.join(dave, room, "Dave")
        own = self.own_presence(burst, room, "Dave")
        self.assertEqual((muc_item(own).get("affiliation"), muc_item(own).get("role")),
                         ("member", "participant"), str(own))
        self.see_join([alice], room, "Dave")

    def test_invitation_carries_password_and_decline(self):
        room = self.room()
        alice = self.login("alice", available=True)
        dave = self.login("dave", available=True)
        erin = self.login("erin", available=True)
        self.create_room(alice, room, "Alice", {
            "muc#roomconfig_passwordprotectedroom": "1",
            "muc#roomconfig_roomsecret": "s3cret",
        })

        alice.send_raw("<message to='%s'><x xmlns='%s'><invite to='dave@%s'>"
                       "<reason>come in</reason></invite></x></message>"
                       % (room, NS_MUC_USER, HOST))
        m, invite = self.invitation(dave, room)
        self.assertEqual(invite.findtext(q(NS_MUC_USER, "reason")), "come in", str(m))
        password = muc_x(m).findtext(q(NS_MUC_USER, "password"))
        self.assertEqual(password, "s3cret", str(m))
        burst = self.join(dave, room, "Dave", "<password>%s</password>" % escape(password))
        own = self.own_presence(burst, room, "Dave")
        self.assertEqual(muc_item(own).get("role"), "participant", str(own))
        self.see_join([alice], room, "Dave")

        alice.send_raw("<message to='%s'><x xmlns='%s'><invite to='erin@%s'/></x></message>"
                       % (room, NS_MUC_USER, HOST))
        self.invitation(erin, room)
        erin.send_raw("<message to='%s'><x xmlns='%s'><decline to='alice@%s'>"
                      "<reason>busy</reason></decline></x></message>"
                      % (room, NS_MUC_USER, HOST))

        def is_decline(s):
            x = muc_x(s)
            return (stanza_kind(s) == "message" and attr(s, "from") == room
                    and x is not None and x.find(q(NS_MUC_USER, "decline")) is not None)
        m = self.wait(alice, is_decline, "Erin's decline")
        self.assertEqual(attr(m, "to"), "alice@%s" % HOST, "sent to the inviter as named: %s" % m)
        self.assertNotEqual(attr(m, "type"), "error", str(m))
        decline = muc_x(m).find(q(NS_MUC_USER, "decline"))
        self.assertEqual(bare(decline.get("from")), "erin@%s" % HOST, str(m))
        self.assertEqual(decline.findtext(q(NS_MUC_USER, "reason")), "busy", str(m))
        self.barrier(erin)
        self.assert_nothing(erin, lambda s: is_error(s, "message", room), "an error")

    # 11 ---------------------------------------------------------------------
    def test_max_users(self):
        room = self.room()
        alice, bob = self.login("alice"), self.login("bob")
        carol, dave = self.login("carol"), self.login("dave")
        self.create_room(alice, room, "Alice")
        reply = self.submit_config(alice, room, {"muc#roomconfig_maxusers": "5000"})
        self.assert_iq_error(reply, room, "modify", "not-acceptable")
        self.configure(alice, room, {"muc#roomconfig_maxusers": "2"})
        fields = form_fields(data_form(self.get_config(alice, room), NS_MUC_OWNER))
        self.assertEqual(field_value(fields, "muc#roomconfig_maxusers"), "2")

        self.join(bob, room, "Bob")
        err = self.join_error(dave, room, "Dave")
        self.assertEqual(attr(err, "from"), room + "/Dave", str(err))
        self.assert_stanza_error(err, "cancel", "service-unavailable")

        # Full without the owner: the owner still enters.
        self.leave(alice, room, "Alice")
        self.join(carol, room, "Carol")
        err = self.join_error(dave, room, "Dave")
        self.assert_stanza_error(err, "cancel", "service-unavailable")
        alice.drain()
        burst = self.join(alice, room, "Alice")
        own = self.own_presence(burst, room, "Alice")
        self.assertEqual((muc_item(own).get("affiliation"), muc_item(own).get("role")),
                         ("owner", "moderator"), str(own))
        self.assertEqual(sorted(attr(s, "from") for s in burst if stanza_kind(s) == "presence"),
                         [room + "/Alice", room + "/Bob", room + "/Carol"], show(burst))


class ServiceAdminTest(SharedStackTestCase):
    """``[muc] admins``: a service admin owns every room."""

    mucd_config = {"muc": {"admins": "carol@%s" % HOST}}

    # 10 ---------------------------------------------------------------------
    def test_service_admin_configures_and_destroys(self):
        room = self.room()
        alice, bob = self.login("alice"), self.login("bob")
        carol, dave = self.login("carol"), self.login("dave")
        self.create_room(alice, room, "Alice")
        self.join(bob, room, "Bob")
        self.see_join([alice], room, "Bob")

        # Dave, an ordinary user, is refused; Carol, not even present, is not.
        reply = self.get_config(dave, room)
        self.assert_iq_error(reply, room, "auth", "forbidden")
        reply = self.get_config(carol, room)
        self.assert_result(reply, room, carol)
        self.assertEqual(field_value(form_fields(data_form(reply, NS_MUC_OWNER)), "FORM_TYPE"),
                         NS_ROOMCONFIG, str(reply))

        self.configure(carol, room, {"muc#roomconfig_roomname": "Carol's choice"})
        for c in (alice, bob):
            m = self.wait(c, lambda s: is_config_notice(s, room), "the 104 announcement")
            self.assertEqual(attr(m, "from"), room, str(m))
        reply, names, _ = self.room_info(dave, room)
        self.assertEqual(names, ["Carol's choice"], str(reply))

        # Her admin rights reach muc#admin too.
        reply = self.admin_set(carol, room, "<item affiliation='member' jid='dave@%s'/>" % HOST)
        self.assert_result(reply, room, carol)
        self.assertEqual(self.affiliation_list(carol, room, "member"), ["dave@%s" % HOST])

        reply = self.destroy(dave, room, "<destroy><reason>mine now</reason></destroy>")
        self.assert_iq_error(reply, room, "auth", "forbidden")
        reply = self.destroy(carol, room, "<destroy><reason>closed by admin</reason></destroy>")
        self.assert_result(reply, room, carol)
        reasons = []
        for c, nick in ((alice, "Alice"), (bob, "Bob")):
            pres = self.wait(c, lambda s, n=nick: is_presence(s, "%s/%s" % (room, n),
                                                              "unavailable"),
                             "own unavailable presence on destruction")
            d = muc_x(pres).find(q(NS_MUC_USER, "destroy"))
            self.assertIsNotNone(d, "no <destroy/> in %s" % pres)
            reasons += [(ns, text, str(pres)) for ns, text in child_reasons(d)]
            self.assertEqual([text for ns, text in child_reasons(d)], ["closed by admin"],
                             str(pres))
        reply = self.disco_info(alice, room)
        self.assert_iq_error(reply, room, "cancel", "item-not-found")
        self.assertNotIn(room, self.listed_rooms(alice))
        self.assert_reasons_in_muc_user(reasons)


if __name__ == "__main__":
    unittest.main(verbosity=2)
