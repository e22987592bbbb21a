/* sd_notify datagrams reach $NOTIFY_SOCKET; the watchdog interval parses */
#include <sys/socket.h>
#include <sys/un.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notify.h"
#include "test.h"

/* a listening socket of type at path, placed at fd at */
static void
listener_type_at(const char *path, int at, int type)
{
	struct sockaddr_un sun;
	int l;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	REQUIRE((l = socket(AF_UNIX, type, 0)) != -1);
	REQUIRE(bind(l, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	REQUIRE(listen(l, 4) == 0);
	if (l != at) {
		REQUIRE(dup2(l, at) == at);
		close(l);
	}
}

/* a listening seqpacket socket at path, placed at fd at */
static void
listener_at(const char *path, int at)
{
	listener_type_at(path, at, SOCK_SEQPACKET);
}

static void
activate(const char *nfds, const char *names)
{
	char pid[32];

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", nfds, 1);
	if (names != NULL)
		setenv("LISTEN_FDNAMES", names, 1);
	else
		unsetenv("LISTEN_FDNAMES");
}

/* several sockets told apart by name (zt-vl1d: control, ipc, keys) */
static void
test_named(const char *dir)
{
	static const char *const names[3] = { "control", "ipc", "keys" };
	char pa[64], pb[64], pc[64];
	const char *paths[3] = { pa, pb, pc };
	int fds[3];

	snprintf(pa, sizeof(pa), "%s/a", dir);
	snprintf(pb, sizeof(pb), "%s/b", dir);
	snprintf(pc, sizeof(pc), "%s/c", dir);
	unsetenv("LISTEN_PID");
	CHECK(notify_listen_fds_named(names, paths, fds, 3) == 0);
	CHECK(fds[0] == -1 && fds[1] == -1 && fds[2] == -1);

	/* passed in another order than asked; keys not passed at all */
	listener_at(pb, 3);
	listener_at(pa, 4);
	activate("2", "ipc:control");
	CHECK(notify_listen_fds_named(names, paths, fds, 3) == 2);
	CHECK(fds[0] == 4 && fds[1] == 3 && fds[2] == -1);
	CHECK(getenv("LISTEN_FDS") == NULL && getenv("LISTEN_FDNAMES") ==
	    NULL);
	CHECK((fcntl(3, F_GETFD) & FD_CLOEXEC) && (fcntl(4, F_GETFL) &
	    O_NONBLOCK));

	/* bound elsewhere than its name's path: refused, all closed */
	activate("2", "control:ipc");
	CHECK(notify_listen_fds_named(names, paths, fds, 3) == -1);
	CHECK(fds[0] == -1 && fds[1] == -1);
	CHECK(fcntl(3, F_GETFD) == -1 && fcntl(4, F_GETFD) == -1);

	/* no names, fewer names than fds, a name twice */
	listener_at(pa, 3);
	listener_at(pb, 4);
	activate("2", NULL);
	CHECK(notify_listen_fds_named(names, paths, fds, 3) == -1);
	listener_at(pa, 3);
	listener_at(pb, 4);
	activate("2", "control");
	CHECK(notify_listen_fds_named(names, paths, fds, 3) == -1);
	listener_at(pa, 3);
	listener_at(pa, 4);
	activate("2", "control:control");
	CHECK(notify_listen_fds_named(names, paths, fds, 3) == -1);

	/* a name not asked for is closed, the rest kept */
	listener_at(pa, 3);
	listener_at(pc, 4);
	activate("2", "control:other");
	CHECK(notify_listen_fds_named(names, paths, fds, 3) == 1);
	CHECK(fds[0] == 3 && fds[1] == -1 && fds[2] == -1);
	CHECK(fcntl(4, F_GETFD) == -1);
	close(3);

	/* a datagram socket where a listener is expected */
	REQUIRE(dup2(socket(AF_UNIX, SOCK_DGRAM, 0), 3) == 3);
	activate("1", "keys");
	CHECK(notify_listen_fds_named(names, paths, fds, 3) == -1);
	unlink(pa);
	unlink(pb);
	unlink(pc);
}

/* sockets of two types (zt-controllerd: control seqpacket, http stream) */
static void
test_typed(const char *dir)
{
	static const char *const names[2] = { "control", "http" };
	static const int types[2] = { SOCK_SEQPACKET, SOCK_STREAM };
	char pa[64], pb[64];
	const char *paths[2] = { pa, pb };
	int fds[2];

	snprintf(pa, sizeof(pa), "%s/ta", dir);
	snprintf(pb, sizeof(pb), "%s/tb", dir);
	listener_type_at(pb, 3, SOCK_STREAM);
	listener_type_at(pa, 4, SOCK_SEQPACKET);
	activate("2", "http:control");
	CHECK(notify_listen_fds_typed(names, paths, types, fds, 2) == 2);
	CHECK(fds[0] == 4 && fds[1] == 3);
	close(3);
	close(4);

	/* a seqpacket socket named http, a stream one named control */
	listener_type_at(pb, 3, SOCK_SEQPACKET);
	listener_type_at(pa, 4, SOCK_SEQPACKET);
	activate("2", "http:control");
	CHECK(notify_listen_fds_typed(names, paths, types, fds, 2) == -1);
	CHECK(fcntl(3, F_GETFD) == -1 && fcntl(4, F_GETFD) == -1);
	listener_type_at(pa, 3, SOCK_STREAM);
	activate("1", "control");
	CHECK(notify_listen_fds_typed(names, paths, types, fds, 2) == -1);
	CHECK(fds[0] == -1 && fcntl(3, F_GETFD) == -1);
	unlink(pa);
	unlink(pb);
}

int
main(void)
{
	struct sockaddr_un sun;
	char dir[] = "/tmp/zt-notify-XXXXXX", path[64], buf[64], pid[32];
	ssize_t n;
	int fd;

	/* no socket: every call is a harmless no-op */
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	CHECK(notify_open() == 0);
	CHECK(notify_send("READY=1") == 0);
	CHECK(notify_watchdog_usec() == 0);

	REQUIRE(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/notify", dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	REQUIRE((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) != -1);
	REQUIRE(bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);

	/* a relative path is refused */
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	CHECK(notify_open() == -1);

	setenv("NOTIFY_SOCKET", path, 1);
	snprintf(pid, sizeof(pid), "%d", (int)getpid() + 1);
	setenv("WATCHDOG_USEC", "20000000", 1);
	setenv("WATCHDOG_PID", pid, 1);		/* someone else's watchdog */
	CHECK(notify_open() == 0);
	CHECK(notify_watchdog_usec() == 0);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	CHECK(notify_open() == 0);
	CHECK(notify_watchdog_usec() == 20000000);
	setenv("WATCHDOG_USEC", "12x", 1);
	CHECK(notify_open() == 0 && notify_watchdog_usec() == 0);

	CHECK(notify_send("READY=1") == 0);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	CHECK(n == 7);
	buf[n > 0 ? n : 0] = '\0';
	CHECK(strcmp(buf, "READY=1") == 0);
	CHECK(notify_send("WATCHDOG=1") == 0);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	CHECK(n == 10 && memcmp(buf, "WATCHDOG=1", 10) == 0);

	close(fd);
	unlink(path);

	/* socket activation: only a listening seqpacket socket at fd 3 */
	unsetenv("LISTEN_PID");
	CHECK(notify_listen_fd() == -1);
	{
		int l, d;

		REQUIRE((l = socket(AF_UNIX, SOCK_SEQPACKET, 0)) != -1);
		REQUIRE(bind(l, (struct sockaddr *)&sun, sizeof(sun)) == 0);
		REQUIRE(listen(l, 4) == 0);
		REQUIRE(dup2(l, 3) == 3);
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		setenv("LISTEN_PID", pid, 1);
		setenv("LISTEN_FDS", "1", 1);
		CHECK(notify_listen_fd() == 3);
		CHECK(getenv("LISTEN_PID") == NULL);	/* consumed */
		setenv("LISTEN_PID", "1", 1);		/* not ours */
		setenv("LISTEN_FDS", "1", 1);
		CHECK(notify_listen_fd() == -1);
		setenv("LISTEN_PID", pid, 1);
		setenv("LISTEN_FDS", "2", 1);
		CHECK(notify_listen_fd() == -2);
		/* a datagram socket at fd 3 is refused */
		REQUIRE((d = socket(AF_UNIX, SOCK_DGRAM, 0)) != -1);
		REQUIRE(dup2(d, 3) == 3);
		setenv("LISTEN_PID", pid, 1);
		setenv("LISTEN_FDS", "1", 1);
		CHECK(notify_listen_fd() == -2);
		close(d);
		close(l);
		close(3);
		unlink(path);
	}
	test_named(dir);
	test_typed(dir);
	rmdir(dir);
	return test_main_end();
}
