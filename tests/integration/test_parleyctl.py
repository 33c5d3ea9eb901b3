"""parleyctl user add|del|passwd|list, against a running server (admin socket) and without one
(straight to the database). Passwords come from stdin, as when scripted."""

import asyncio

import pytest

from conftest import launch, stop_server
import servers
from xmpp_client import can_login, login, run, unique


pytestmark = pytest.mark.skipif(servers.server_kind() != "parleyd", reason="parleyctl is parleyd's")


def ctl_ok(s, *args, input=None):
    res = s.ctl(*args, input=input)
    assert res.returncode == 0, \
        f"parleyctl {' '.join(args)} exited {res.returncode}\nstdout: {res.stdout}\nstderr: {res.stderr}"
    return res


def listed(s) -> set[str]:
    out = ctl_ok(s, "user", "list").stdout
    return {word for line in out.splitlines() for word in line.split()}


def test_add_list_and_login(server):
    user, password = unique("ctl"), "pw-" + unique("")
    jid = server.jid(user)
    ctl_ok(server, "user", "add", jid, input=password + "\n")
    assert jid in listed(server)
    assert run(can_login(server, user, password)), "cannot log in with the password given to parleyctl"


def test_add_existing_user_fails(server):
    user = unique("ctl")
    jid = server.jid(user)
    ctl_ok(server, "user", "add", jid, input="first\n")
    res = server.ctl("user", "add", jid, input="second\n")
    assert res.returncode != 0, "adding an existing user succeeded"
    assert run(can_login(server, user, "first"))
    assert not run(can_login(server, user, "second"))


def test_add_rejects_invalid_jid(server):
    res = server.ctl("user", "add", "not a jid@", input="pw\n")
    assert res.returncode != 0


def test_passwd(server):
    user = unique("ctl")
    jid = server.jid(user)
    ctl_ok(server, "user", "add", jid, input="old-password\n")
    ctl_ok(server, "user", "passwd", jid, input="new-password\n")
    assert run(can_login(server, user, "new-password"))
    assert not run(can_login(server, user, "old-password"))


def test_del_disconnects_connected_user(server):
    user, password = unique("ctl"), "pw-del"
    jid = server.jid(user)
    ctl_ok(server, "user", "add", jid, input=password + "\n")

    async def go():
        c = await login(server, user, password)
        try:
            loop = asyncio.get_running_loop()
            res = await loop.run_in_executor(None, lambda: server.ctl("user", "del", jid))
            assert res.returncode == 0, res.stderr
            assert await c.wait_disconnected(5), "the deleted user is still connected"
        finally:
            await c.close()
        assert not await can_login(server, user, password)
    run(go())
    assert jid not in listed(server)


def test_del_unknown_user_fails(server):
    res = server.ctl("user", "del", server.jid(unique("ghost")))
    assert res.returncode != 0


def test_without_running_server(tmp_path):
    """With no server running, parleyctl works on the database directly, and the server sees the
    result when it starts; accounts made while it ran are listed after it stops."""
    s = servers.make_server(tmp_path / "offline", allow_registration=True)
    user = unique("off")
    jid = s.jid(user)
    ctl_ok(s, "user", "add", jid, input="offline-pw\n")
    assert jid in listed(s)
    launch(s)
    try:
        assert run(can_login(s, user, "offline-pw"))
        other = unique("on")
        ctl_ok(s, "user", "add", s.jid(other), input="online-pw\n")
    finally:
        stop_server(s)
    assert {jid, s.jid(other)} <= listed(s)
    ctl_ok(s, "user", "del", jid)
    assert jid not in listed(s)

