#!/usr/bin/env python3
"""A small stand-in for systemd as PID 1, for the crash tests.

CI has no systemd to start the units under systemd/, so this starts each
daemon the way its unit would: as the unit's user and groups, with the
unit's ambient capabilities, in the foreground, with the listening
sockets of its .socket units passed as LISTEN_FDS / LISTEN_FDNAMES (made
once and kept across restarts, so clients never see the path vanish),
NOTIFY_SOCKET for READY=1 and WATCHDOG=1, and Restart=on-failure after
RestartSec.  Durations are divided by the spec's "scale", as the daemons'
--time-scale divides their timers.

usage: supervisor.py SPEC STATEDIR

SPEC is JSON: {"scale": N, "daemons": [{"name", "argv", optional "user",
"group", "groups", "ambient" (capability names), "netns", "private_network"
(a network namespace with only lo, as PrivateNetwork=yes), "bind_tun" (a
tun node bind-mounted over /dev/net/tun first), "sockets" ([{"name",
"path", "group", "mode", "type"}]), "notify" (Type=notify), "restart_sec",
"watchdog_sec", "pre" (argv run as root before each start, like
ExecStartPre=+), "env", "log"}]}; a socket is seqpacket unless its
"type" is "stream".  Daemons start in order; a Type=notify
daemon must send READY=1 before the next one starts (After=).

STATEDIR gets NAME.pid (the current main pid) and "events": one line per
event, "TIME NAME start|ready|exit|watchdog PID [STATUS]".  SIGTERM stops
the daemons in reverse order, as stopping zt-privsep.target would.
"""
import fcntl
import grp
import json
import os
import select
import signal
import socket
import sys
import time

# Restart=on-failure: a clean exit code or one of these signals is a stop
CLEAN_SIGNALS = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE)
START_TIMEOUT = 30.0


class Daemon:
    def __init__(self, spec, scale, statedir):
        self.spec = spec
        self.name = spec["name"]
        self.scale = scale
        self.statedir = statedir
        self.pid = 0
        self.ready = False
        self.restart_at = None
        self.last_ping = 0.0
        self.listeners = []	# (name, socket) kept for the daemon's life
        for s in spec.get("sockets", []):
            self.listeners.append((s["name"], self.listen(s)))
        self.notify_path = None
        self.notify = None
        if spec.get("notify") or spec.get("watchdog_sec"):
            self.notify_path = os.path.join(statedir, "notify-" + self.name)
            self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.notify.bind(self.notify_path)
            # the daemon sends from its own user
            os.chmod(self.notify_path, 0o666)
            self.notify.setblocking(False)

    def listen(self, s):
        path = s["path"]
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        # ListenSequentialPacket=, or ListenStream= with "type": "stream"
        kind = socket.SOCK_STREAM if s.get("type") == "stream" else \
            socket.SOCK_SEQPACKET
        sock = socket.socket(socket.AF_UNIX, kind)
        sock.bind(path)
        os.chown(path, 0, grp.getgrnam(s.get("group", "root")).gr_gid)
        os.chmod(path, int(s.get("mode", "0660"), 8))
        sock.listen(64)
        return sock

    def scaled(self, key, default):
        return float(self.spec.get(key, default)) / self.scale

    def command(self):
        """the exec chain; each link execs the next, so the pid stays"""
        sp = self.spec
        argv = []
        if sp.get("netns"):
            argv += ["ip", "netns", "exec", sp["netns"]]
        if sp.get("private_network"):
            argv += ["unshare", "-n"]
        if sp.get("bind_tun"):
            argv += ["sh", "-c", 'mount --bind "$1" /dev/net/tun || exit 1;'
                     ' shift; exec "$@"', "sh", sp["bind_tun"]]
        if sp.get("user"):
            user = sp["user"]
            group = sp.get("group", user)
            argv += ["setpriv", "--reuid=" + user, "--regid=" + group]
            groups = sp.get("groups", [])
            if groups:
                argv += ["--groups=" + ",".join(
                    str(grp.getgrnam(g).gr_gid) for g in groups)]
            else:
                argv += ["--clear-groups"]
            caps = ",".join("+" + c for c in sp.get("ambient", []))
            if caps:
                argv += ["--inh-caps=" + caps, "--ambient-caps=" + caps]
        return argv + sp["argv"]

    def start(self):
        pre = self.spec.get("pre")
        if pre and os.spawnvp(os.P_WAIT, pre[0], pre) != 0:
            event(self, "pre-failed", 0)
        env = dict(os.environ)
        env.update(self.spec.get("env", {}))
        if self.notify_path:
            env["NOTIFY_SOCKET"] = self.notify_path
        if self.spec.get("watchdog_sec"):
            env["WATCHDOG_USEC"] = str(int(
                self.scaled("watchdog_sec", 0) * 1e6))
        argv = self.command()
        log = os.open(self.spec.get("log", os.devnull),
                      os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        # the sockets go to 3.. in the child: first out of that range
        high = [fcntl.fcntl(s.fileno(), fcntl.F_DUPFD_CLOEXEC, 64)
                for _, s in self.listeners]
        pid = os.fork()
        if pid == 0:
            try:
                os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
                os.dup2(log, 1)
                os.dup2(log, 2)
                for i, fd in enumerate(high):
                    os.dup2(fd, 3 + i, inheritable=True)
                if high:
                    env["LISTEN_PID"] = str(os.getpid())
                    env["LISTEN_FDS"] = str(len(high))
                    env["LISTEN_FDNAMES"] = ":".join(
                        n for n, _ in self.listeners)
                os.execvpe(argv[0], argv, env)
            except OSError as e:
                os.write(2, ("supervisor: %s: %s\n" % (argv[0], e)).encode())
            os._exit(127)
        for fd in high:
            os.close(fd)
        os.close(log)
        self.pid = pid
        self.ready = not self.spec.get("notify")
        self.last_ping = time.time()
        self.restart_at = None
        write_pid(self)
        event(self, "start", pid)

    def read_notify(self):
        while self.notify:
            try:
                msg = self.notify.recv(4096).decode(errors="replace")
            except BlockingIOError:
                return
            for line in msg.split("\n"):
                if line == "READY=1" and not self.ready:
                    self.ready = True
                    event(self, "ready", self.pid)
                elif line == "WATCHDOG=1":
                    self.last_ping = time.time()

    def check_watchdog(self):
        limit = self.scaled("watchdog_sec", 0)
        if self.pid and self.ready and limit and \
                time.time() - self.last_ping > limit:
            # WatchdogSignal= defaults to SIGABRT
            event(self, "watchdog", self.pid)
            os.kill(self.pid, signal.SIGABRT)
            self.last_ping = time.time()

    def exited(self, status):
        pid, self.pid = self.pid, 0
        write_pid(self)
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            how = "signal %d" % sig
            failed = sig not in CLEAN_SIGNALS
        else:
            code = os.waitstatus_to_exitcode(status)
            how = "code %d" % code
            failed = code != 0
        event(self, "exit", pid, how)
        if failed and not stopping:
            self.restart_at = time.time() + self.scaled("restart_sec", 0.1)


def write_pid(d):
    path = os.path.join(d.statedir, d.name + ".pid")
    with open(path + ".new", "w") as f:
        f.write("%d\n" % d.pid)
    os.rename(path + ".new", path)


def event(d, what, pid, extra=""):
    with open(os.path.join(d.statedir, "events"), "a") as f:
        f.write(("%.3f %s %s %d %s" % (time.time(), d.name, what, pid,
                                       extra)).rstrip() + "\n")


stopping = False


def on_term(sig, frame):
    global stopping
    stopping = True


def reap(daemons):
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        for d in daemons:
            if d.pid == pid:
                d.exited(status)


def step(daemons, timeout):
    socks = [d.notify for d in daemons if d.notify]
    try:
        select.select(socks, [], [], timeout)
    except InterruptedError:
        pass
    for d in daemons:
        d.read_notify()
    reap(daemons)


def main():
    spec = json.load(open(sys.argv[1]))
    statedir = sys.argv[2]
    scale = float(spec.get("scale", 1))
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    daemons = [Daemon(s, scale, statedir) for s in spec["daemons"]]
    for d in daemons:
        d.start()
        end = time.time() + START_TIMEOUT
        while not d.ready and d.pid and not stopping and time.time() < end:
            step(daemons, 0.05)
        if not d.ready:
            event(d, "not-ready", d.pid)
    while not stopping:
        step(daemons, 0.05)
        now = time.time()
        for d in daemons:
            if d.restart_at is not None and now >= d.restart_at:
                d.start()
            d.check_watchdog()
    for d in reversed(daemons):
        if not d.pid:
            continue
        os.kill(d.pid, signal.SIGTERM)
        end = time.time() + 5
        while d.pid and time.time() < end:
            step(daemons, 0.05)
        if d.pid:
            os.kill(d.pid, signal.SIGKILL)
            while d.pid:
                step(daemons, 0.05)
    for d in daemons:
        for s in d.spec.get("sockets", []):
            try:
                os.unlink(s["path"])
            except FileNotFoundError:
                pass


if __name__ == "__main__":
    main()
