/* ns.h - XML namespaces mucd speaks, in one place. */
#ifndef MUCD_NS_H
#define MUCD_NS_H

#define NS_STANZAS       "urn:ietf:params:xml:ns:xmpp-stanzas"
#define NS_DISCO_INFO    "http://jabber.org/protocol/disco#info"
#define NS_DISCO_ITEMS   "http://jabber.org/protocol/disco#items"
#define NS_MUC           "http://jabber.org/protocol/muc"
#define NS_MUC_USER      "http://jabber.org/protocol/muc#user"
#define NS_MUC_ADMIN     "http://jabber.org/protocol/muc#admin"
#define NS_MUC_OWNER     "http://jabber.org/protocol/muc#owner"
#define NS_PING          "urn:xmpp:ping"
#define NS_VERSION       "jabber:iq:version"
#define NS_RSM           "http://jabber.org/protocol/rsm"
#define NS_DATA          "jabber:x:data"
#define NS_DELAY         "urn:xmpp:delay"
#define NS_SID           "urn:xmpp:sid:0"         /* XEP-0359 */
#define NS_OCCUPANT_ID   "urn:xmpp:occupant-id:0" /* XEP-0421 */
#define NS_HATS          "urn:xmpp:hats:0"        /* XEP-0317 */
#define NS_MUC_STABLE_ID "http://jabber.org/protocol/muc#stable_id"
#define NS_MUC_SELF_PING "http://jabber.org/protocol/muc#self-ping-optimization"
#define NS_VCARD         "vcard-temp"                  /* XEP-0054 */
#define NS_VCARD_UPDATE  "vcard-temp:x:update"         /* XEP-0153 */
#define NS_MODERATE0     "urn:xmpp:message-moderate:0" /* XEP-0425 */
#define NS_MODERATE1     "urn:xmpp:message-moderate:1"
#define NS_RETRACT0      "urn:xmpp:message-retract:0" /* XEP-0424 */
#define NS_RETRACT1      "urn:xmpp:message-retract:1"
#define NS_FASTEN        "urn:xmpp:fasten:0" /* XEP-0422 */

/* XEP-0045 §15.6 status codes. */
enum muc_status {
    STATUS_NON_ANONYMOUS = 100,
    STATUS_CONFIG_CHANGED = 104,
    STATUS_SELF = 110,
    STATUS_NOW_NON_ANONYMOUS = 172,
    STATUS_NOW_SEMI_ANONYMOUS = 173,
    STATUS_CREATED = 201,
    STATUS_NICK_MODIFIED = 210,
    STATUS_BANNED = 301,
    STATUS_NICK_CHANGED = 303,
    STATUS_KICKED = 307,
    STATUS_AFFILIATION_LOST = 321,
    STATUS_MEMBERS_ONLY = 322,
    STATUS_SHUTDOWN = 332,
    STATUS_REMOVED_ERROR = 333,
};
#endif
