"""An independent client check of a private server: XEP-0077 registration, then a SCRAM-SHA-1
login over STARTTLS, with slixmpp (Debian's python3-slixmpp), not parley-bench.

  python3 -m compare_lib.check PORT DOMAIN USER PASSWORD   -> prints one JSON line, exit 0 if ok
"""

from __future__ import annotations

import asyncio
import json
import ssl
import sys


def _client(jid: str, password: str, port: int, register: bool):
    import slixmpp
    from slixmpp.exceptions import IqError, IqTimeout

    class Client(slixmpp.ClientXMPP):
        # slixmpp resolves the JID's domain even when given an address; no DNS here.
        async def get_dns_records(self, domain, port=None):
            return [(domain, self.address[0], self.address[1])]

    c = Client(jid, password)
    c.use_ipv6 = False
    c.whitespace_keepalive = False
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    c.ssl_context = ctx
    c.register_plugin("xep_0077")
    c["feature_mechanisms"].use_mechs = ["SCRAM-SHA-1"]
    result = {"registered": None, "session": False, "mechanism": None, "tls": False}

    if register:
        c["xep_0077"].force_registration = True
        # COMPAT slixmpp 1.8: stanzas sent before session start are queued, which holds back the
        # registration iq; let them through.
        c._always_send_everything = True

        async def on_register(_form):
            iq = c.Iq()
            iq["type"] = "set"
            iq["register"]["username"] = c.boundjid.user
            iq["register"]["password"] = password
            try:
                await iq.send(timeout=10)
                result["registered"] = "created"
            except IqError as e:
                cond = e.iq["error"]["condition"]
                result["registered"] = "existing" if cond == "conflict" else f"error: {cond}"
            except IqTimeout:
                result["registered"] = "timeout"
        c.add_event_handler("register", on_register)

    async def on_start(_event):
        result["session"] = True
        result["tls"] = c.transport is not None and \
            c.transport.get_extra_info("ssl_object") is not None
        mech = c["feature_mechanisms"].mech
        result["mechanism"] = mech.name if mech is not None else None
        c.disconnect()

    c.add_event_handler("session_start", on_start)
    c.add_event_handler("failed_auth", lambda _e: c.disconnect())
    c.add_event_handler("no_auth", lambda _e: c.disconnect())
    c.connect(("127.0.0.1", port), use_ssl=False, force_starttls=True, disable_starttls=False)
    return c, result


def main() -> int:
    port, domain, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    jid = f"{user}@{domain}/check"
    out = {}
    for phase, register in (("register", True), ("login", False)):
        c, result = _client(jid, password, port, register)
        try:
            asyncio.get_event_loop().run_until_complete(
                asyncio.wait_for(c.disconnected, timeout=20))
        except asyncio.TimeoutError:
            result["timeout"] = True
        out[phase] = result
    ok = (out["register"]["registered"] in ("created", "existing") and out["login"]["session"]
          and out["login"]["tls"] and out["login"]["mechanism"] == "SCRAM-SHA-1")
    print(json.dumps({"ok": bool(ok), **out}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
