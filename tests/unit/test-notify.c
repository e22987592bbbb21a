/* sd_notify datagrams reach $NOTIFY_SOCKET; the watchdog interval parses */
#include <sys/socket.h>
#include <sys/un.h>

#include <stdlib.h>
#include <string.h>

#include "notify.h"
#include "test.h"

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
	rmdir(dir);
	return test_main_end();
}
