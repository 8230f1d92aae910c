"""The XEP-0114 component link and service-level IQs of mucd, end to end.

Every test runs a private Prosody on loopback, the real mucd binary attached
to it, and (where needed) a slixmpp client logged in over c2s; stanzas go
client -> Prosody -> mucd -> Prosody -> client.
"""

import signal
import time
import unittest

from harness import (
    CONNECTED_MARKER, NS_CLIENT, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MUC, NS_PING,
    NS_STANZAS, NS_VERSION, ON_EJABBERD, HarnessError, LiveTestCase, error_of, new_id, q,
    stanza_xml,
)

DOMAIN = "chat.localhost"
SERVICE_NAME = "Integration Rooms"


class ComponentTestCase(LiveTestCase):
    """Shared set-up helpers and stanza assertions."""

    def start_stack(self, **mucd_kwargs):
        """Prosody + mucd (connected) + one logged-in client."""
        mucd_kwargs.setdefault("name", SERVICE_NAME)
        self.prosody = self.new_prosody()
        self.mucd = self.new_mucd(self.prosody, **mucd_kwargs)
        self.client = self.new_client(self.prosody)
        return self.prosody, self.mucd, self.client

    def assert_reply(self, reply, iq_type, iq_id, client=None):
        """``reply`` is an iq of ``iq_type`` from the service to ``client``, same id."""
        client = client or self.client
        el = stanza_xml(reply)
        self.assertEqual(el.tag, q(NS_CLIENT, "iq"))
        self.assertEqual(el.get("type"), iq_type, str(reply))
        self.assertEqual(el.get("id"), iq_id, str(reply))
        self.assertEqual(el.get("from"), DOMAIN, str(reply))
        self.assertEqual(el.get("to"), client.full_jid, str(reply))
        return el

    def assert_error(self, reply, iq_id, err_type, condition, client=None):
        """``reply`` is an iq error with ``<condition xmlns=stanzas/>`` of ``err_type``."""
        el = self.assert_reply(reply, "error", iq_id, client)
        err = error_of(el)
        self.assertIsNotNone(err, "no <error/> in %s" % reply)
        self.assertEqual(err[:3], (err_type, condition, NS_STANZAS), str(reply))
        return el

    def iq(self, iq_type, payload="", iq_id=None, to=DOMAIN):
        """Send ``<iq type to id>payload</iq>`` from the client; return (reply, id)."""
        iq_id = iq_id or new_id(iq_type)
        xml = "<iq type='%s' to='%s' id='%s'>%s</iq>" % (iq_type, to, iq_id, payload)
        return self.client.send_iq_raw(xml), iq_id

    def ping(self, client=None):
        """XEP-0199 ping of the service; asserts a result; returns the reply."""
        client = client or self.client
        reply = client.send_iq_raw(
            "<iq type='get' to='%s' id='ping-1'><ping xmlns='%s'/></iq>" % (DOMAIN, NS_PING))
        self.assert_reply(reply, "result", "ping-1", client)
        return reply

    def disco_info(self, client=None):
        """disco#info of the service; asserts a result; returns its <query/>."""
        client = client or self.client
        reply = client.send_iq_raw(
            "<iq type='get' to='%s' id='info-1'><query xmlns='%s'/></iq>" % (DOMAIN, NS_DISCO_INFO))
        el = self.assert_reply(reply, "result", "info-1", client)
        query = el.find(q(NS_DISCO_INFO, "query"))
        self.assertIsNotNone(query, "no disco#info <query/> in %s" % reply)
        return query


class ServiceIqTest(ComponentTestCase):
    """IQs addressed to the service domain itself."""

    def setUp(self):
        self.start_stack()

    def test_disco_info_identity_and_features(self):
        query = self.disco_info()
        identities = query.findall(q(NS_DISCO_INFO, "identity"))
        self.assertEqual(
            [(i.get("category"), i.get("type"), i.get("name")) for i in identities],
            [("conference", "text", SERVICE_NAME)])
        features = [f.get("var") for f in query.findall(q(NS_DISCO_INFO, "feature"))]
        for var in (NS_MUC, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING):
            self.assertIn(var, features)
        self.assertEqual(len(features), len(set(features)), "duplicate features: %s" % features)
        self.assertIsNone(query.get("node"))

    def test_disco_items_is_empty(self):
        reply, iq_id = self.iq("get", "<query xmlns='%s'/>" % NS_DISCO_ITEMS)
        el = self.assert_reply(reply, "result", iq_id)
        query = el.find(q(NS_DISCO_ITEMS, "query"))
        self.assertIsNotNone(query, str(reply))
        self.assertEqual(list(query), [], "expected no items: %s" % reply)

    def test_ping(self):
        reply = self.ping()
        self.assertEqual(list(stanza_xml(reply)), [], "a ping result has no payload")

    def test_software_version(self):
        # jabber:iq:version is advertised in disco#info, so it must answer.
        reply, iq_id = self.iq("get", "<query xmlns='%s'/>" % NS_VERSION)
        query = self.assert_reply(reply, "result", iq_id).find(q(NS_VERSION, "query"))
        self.assertIsNotNone(query, str(reply))
        self.assertTrue((query.findtext(q(NS_VERSION, "name")) or "").strip(), str(reply))
        self.assertTrue((query.findtext(q(NS_VERSION, "version")) or "").strip(), str(reply))

    def test_unknown_iq_get_is_service_unavailable(self):
        reply, iq_id = self.iq("get", "<query xmlns='urn:example:unknown'/>", "unk-get-1")
        self.assert_error(reply, "unk-get-1", "cancel", "service-unavailable")

    def test_unknown_iq_set_is_service_unavailable(self):
        reply, iq_id = self.iq("set", "<query xmlns='urn:example:unknown'><x/></query>", "unk-set-1")
        self.assert_error(reply, "unk-set-1", "cancel", "service-unavailable")

    def test_iq_get_without_child_is_bad_request(self):
        # Note: Prosody 0.12 itself answers a get/set with != 1 child on c2s
        # ("Incorrect number of children for IQ stanza"), so this pins the
        # end-to-end behaviour a client sees rather than mucd's own check.
        reply, iq_id = self.iq("get", "", "empty-get-1")
        el = stanza_xml(reply)
        self.assertEqual((el.get("type"), el.get("id")), ("error", "empty-get-1"), str(reply))
        self.assertEqual(error_of(el)[:3], ("modify", "bad-request", NS_STANZAS), str(reply))

    def test_keeps_answering_after_bad_input(self):
        c = self.client
        # Never answered: results and errors (answering them could loop).
        c.send_raw("<iq type='result' to='%s' id='odd-result'/>" % DOMAIN)
        c.send_raw("<iq type='error' to='%s' id='odd-iqerr'><error type='cancel'>"
                   "<service-unavailable xmlns='%s'/></error></iq>" % (DOMAIN, NS_STANZAS))
        c.send_raw("<message type='error' to='%s' id='odd-msgerr'><error type='cancel'>"
                   "<item-not-found xmlns='%s'/></error></message>" % (DOMAIN, NS_STANZAS))
        # Odd but harmless traffic whose answer is not asserted here.
        c.send_raw("<message to='%s' id='odd-msg'><body>hello &amp; &lt;bye&gt;</body></message>" % DOMAIN)
        c.send_raw("<presence to='%s' id='odd-pres'><status>\u00e9t\u00e9</status></presence>" % DOMAIN)
        c.send_raw("<presence type='unavailable' to='%s' id='odd-unavail'/>" % DOMAIN)
        c.send_raw("<iq type='get' to='room@%s/nick' id='odd-room'>"
                   "<query xmlns='urn:example:odd'/></iq>" % DOMAIN)
        # Unusual payloads that must still get a proper error.
        deep = "<a>" * 100 + "</a>" * 100
        big = "x" * 60000
        for iq_id, payload in (
                ("odd-deep", "<query xmlns='urn:example:odd'>%s</query>" % deep),
                ("odd-big", "<query xmlns='urn:example:odd'>%s</query>" % big),
                ("odd-text", "<query xmlns='urn:example:odd' xml:lang='fr' a='&quot;&apos;'>"
                             "&lt;&amp;&gt; \u00e9\u00e8 \U0001F600</query>"),
                ("odd-ns", "<p:query xmlns:p='urn:example:prefixed'><p:x/></p:query>")):
            reply, _ = self.iq("get", payload, iq_id)
            self.assert_error(reply, iq_id, "cancel", "service-unavailable")
        self.ping()
        self.assertTrue(self.mucd.running, self.mucd.log_tail())
        # mucd handles stanzas in order, so by now any reply to the early
        # result/error stanzas would have arrived.
        unanswerable = {"odd-result", "odd-iqerr", "odd-msgerr"}
        answered = c.received(lambda st: stanza_xml(st).get("id") in unanswerable)
        self.assertEqual(answered, [], "error/result stanzas must not be answered")
        self.disco_info()


class ServiceNameTest(ComponentTestCase):
    """The configured service name reaches disco#info intact."""

    def test_name_with_markup_characters_and_utf8(self):
        name = 'Salle <&> "\u00e9t\u00e9" \u2713'
        self.start_stack(name=name)
        identity = self.disco_info().find(q(NS_DISCO_INFO, "identity"))
        self.assertIsNotNone(identity)
        self.assertEqual(identity.get("name"), name)


class ComponentLinkTest(ComponentTestCase):
    """The XEP-0114 link: handshake, refused secret, reconnects, signals."""

    def test_wrong_secret_exits_nonzero(self):
        prosody = self.new_prosody()
        mucd = self.new_mucd(prosody, secret="not-the-secret", wait_connected=False)
        code = mucd.wait_exit(timeout=10)
        self.assertNotEqual(code, 0, mucd.log_tail())
        self.assertEqual(code, 3, "README: exit code 3 = the server refused the secret")
        self.assertIn("server refused the component secret", mucd.log_text())
        self.assertNotIn(CONNECTED_MARKER, mucd.log_text())

    def test_reconnects_after_prosody_restart(self):
        prosody, mucd, _ = self.start_stack(config={"component": {"reconnect_max": 2}})
        self.disco_info()
        self.client.disconnect()
        offset = mucd.log_offset()
        prosody.stop()
        # mucd must survive the lost link (and a failed reconnect attempt or two).
        with self.assertRaises(HarnessError):
            mucd.wait_exit(timeout=1.5)
        prosody.start()
        mucd.wait_log(CONNECTED_MARKER, timeout=10, offset=offset)
        self.assertTrue(mucd.running)
        client = self.new_client(prosody)
        self.disco_info(client)
        self.ping(client)

    def test_waits_for_prosody_to_come_up(self):
        reconnect_max = 2
        prosody = self.new_prosody(start=False)
        mucd = self.new_mucd(prosody, wait_connected=False,
                             config={"component": {"reconnect_max": reconnect_max}})
        # Long enough for an uncapped backoff (1, 2, 4 s ...) to overshoot the cap.
        with self.assertRaises(HarnessError):
            mucd.wait_exit(timeout=7)
        self.assertNotIn(CONNECTED_MARKER, mucd.log_text())
        prosody.start()
        up = time.monotonic()
        mucd.wait_log(CONNECTED_MARKER, timeout=10)
        waited = time.monotonic() - up
        self.assertLess(waited, reconnect_max + 1.5,
                        "connected %.1f s after Prosody came up; reconnect_max = %d"
                        % (waited, reconnect_max))
        self.client = self.new_client(prosody)
        self.disco_info()

    def test_sigterm_exits_zero(self):
        self.start_stack()
        self.ping()
        self.mucd.signal(signal.SIGTERM)
        self.assertEqual(self.mucd.wait_exit(timeout=10), 0, self.mucd.log_tail())
        self.assert_component_gone()

    def test_sigint_exits_zero(self):
        self.start_stack()
        self.mucd.signal(signal.SIGINT)
        self.assertEqual(self.mucd.wait_exit(timeout=10), 0, self.mucd.log_tail())

    def assert_component_gone(self):
        """The server itself now answers for the domain: the component is not connected."""
        reply = self.client.send_iq_raw(
            "<iq type='get' to='%s' id='gone-1'><ping xmlns='%s'/></iq>" % (DOMAIN, NS_PING))
        el = stanza_xml(reply)
        self.assertEqual(el.get("type"), "error", str(reply))
        err = error_of(el)
        self.assertEqual(err[2], NS_STANZAS, str(reply))
        if ON_EJABBERD:
            # ejabberd 23.01 has no "component not connected" answer: once the
            # component's route is gone, a stanza for its domain goes the s2s
            # way, and with s2s disabled (s2s_access: none, as in the harness)
            # the router bounces it with auth/forbidden "Access denied by
            # service policy", from the component's domain.
            self.assertEqual(err[:2], ("auth", "forbidden"), str(reply))
            self.assertEqual(el.get("from"), DOMAIN, str(reply))
        else:
            self.assertIn(err[1], ("remote-server-timeout", "service-unavailable"), str(reply))


if __name__ == "__main__":
    unittest.main(verbosity=2)
