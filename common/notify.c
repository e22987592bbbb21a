#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

/* set once by notify_open, before the sandbox; constant afterwards */
static int notify_fd = -1;
static uint64_t notify_wd_usec;

static uint64_t
notify_parse_u64(const char *s, bool *ok)
{
	uint64_t v = 0;

	*ok = s != NULL && *s != '\0';
	for (; *ok && *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10) {
			*ok = false;
			break;
		}
		v = v * 10 + (uint64_t)(*s - '0');
	}
	return *ok ? v : 0;
}

int
notify_open(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	const char *wd = getenv("WATCHDOG_USEC");
	const char *wdpid = getenv("WATCHDOG_PID");
	struct sockaddr_un sun;
	socklen_t sl;
	size_t n;
	bool ok;
	int fd;

	if (wd != NULL) {
		notify_wd_usec = notify_parse_u64(wd, &ok);
		if (!ok || (wdpid != NULL &&
		    notify_parse_u64(wdpid, &ok) != (uint64_t)getpid()))
			notify_wd_usec = 0;
	}
	if (path == NULL)
		return 0;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n < 2 ||
	    n >= sizeof(sun.sun_path)) {
		log_warnx("NOTIFY_SOCKET '%s' is not usable", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, n);
	sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';		/* abstract namespace */
	else
		sl++;				/* count the NUL */
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sl) == -1) {
		log_warn("NOTIFY_SOCKET %s", path);
		close(fd);
		return -1;
	}
	notify_fd = fd;
	return 0;
}

int
notify_send(const char *msg)
{
	ssize_t n;

	if (notify_fd == -1)
		return 0;
	do {
		n = send(notify_fd, msg, strlen(msg), MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	return n == (ssize_t)strlen(msg) ? 0 : -1;
}

uint64_t
notify_watchdog_usec(void)
{
	return notify_wd_usec;
}

int
notify_listen_fd(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int fd = 3, v;
	socklen_t sl = sizeof(v);
	bool ok;

	if (pid == NULL || fds == NULL ||
	    notify_parse_u64(pid, &ok) != (uint64_t)getpid() || !ok)
		return -1;
	/* consumed: children must not think the socket is theirs */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (notify_parse_u64(fds, &ok) != 1 || !ok) {
		log_warnx("LISTEN_FDS=%s: exactly one socket expected", fds);
		return -2;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &sl) == -1 ||
	    v != AF_UNIX ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &sl) == -1 ||
	    v != SOCK_SEQPACKET ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &sl) == -1 ||
	    v != 1) {
		log_warnx("inherited fd 3 is not a listening unix seqpacket "
		    "socket");
		return -2;
	}
	/* the manager hands it over blocking; an event loop needs it not */
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		return -2;
	return fd;
}

#define NOTIFY_MAX_FDS	16

/* a listening unix socket of type, bound to path (any path if NULL) */
static int
notify_check_listener(int fd, const char *name, const char *path, int type)
{
	struct sockaddr_un sun;
	socklen_t sl;
	int v;

	sl = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &sl) == -1 ||
	    v != AF_UNIX)
		goto bad;
	sl = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &sl) == -1 ||
	    v != type)
		goto bad;
	sl = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &sl) == -1 ||
	    v != 1)
		goto bad;
	memset(&sun, 0, sizeof(sun));
	sl = sizeof(sun);
	if (getsockname(fd, (struct sockaddr *)&sun, &sl) == -1 ||
	    sl <= offsetof(struct sockaddr_un, sun_path) ||
	    sl > sizeof(sun))
		goto bad;
	/* a path that does not fit leaves sun_path unterminated */
	sun.sun_path[sizeof(sun.sun_path) - 1] = '\0';
	if (path != NULL && strcmp(sun.sun_path, path) != 0) {
		log_warnx("inherited socket '%s' (fd %d) is bound to %s, not "
		    "%s", name, fd, sun.sun_path, path);
		return -1;
	}
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    (v = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, v | O_NONBLOCK) == -1)
		goto bad;
	return 0;
bad:
	log_warnx("inherited socket '%s' (fd %d) is not a listening unix "
	    "%s socket", name, fd, type == SOCK_STREAM ? "stream" :
	    "seqpacket");
	return -1;
}

int
notify_listen_fds_named(const char *const *names, const char *const *paths,
    int *fds, size_t n)
{
	return notify_listen_fds_typed(names, paths, NULL, fds, n);
}

int
notify_listen_fds_typed(const char *const *names, const char *const *paths,
    const int *types, int *fds, size_t n)
{
	const char *pid = getenv("LISTEN_PID"), *nfds = getenv("LISTEN_FDS");
	const char *fdnames = getenv("LISTEN_FDNAMES");
	char *copy = NULL, *cur, *name;
	uint64_t count, i;
	size_t k;
	int kept = 0;
	bool ok;

	for (k = 0; k < n; k++)
		fds[k] = -1;
	if (pid == NULL || nfds == NULL ||
	    notify_parse_u64(pid, &ok) != (uint64_t)getpid() || !ok)
		return 0;
	count = notify_parse_u64(nfds, &ok);
	if (!ok || count == 0 || count > NOTIFY_MAX_FDS) {
		log_warnx("LISTEN_FDS=%s: not 1 to %d", nfds, NOTIFY_MAX_FDS);
		goto fail;
	}
	if (fdnames == NULL || (copy = strdup(fdnames)) == NULL) {
		log_warnx("socket activation without LISTEN_FDNAMES: set "
		    "FileDescriptorName= in the .socket units");
		goto fail;
	}
	cur = copy;
	for (i = 0; i < count; i++) {
		int fd = (int)(3 + i);

		if ((name = strsep(&cur, ":")) == NULL) {
			log_warnx("LISTEN_FDNAMES has fewer names than "
			    "LISTEN_FDS=%s", nfds);
			goto fail;
		}
		for (k = 0; k < n && strcmp(names[k], name) != 0; k++)
			;
		if (k == n) {
			log_warnx("inherited socket '%s' (fd %d) is not one "
			    "of ours: closed", name, fd);
			close(fd);
			continue;
		}
		if (fds[k] != -1) {
			log_warnx("inherited socket '%s' passed twice", name);
			goto fail;
		}
		if (notify_check_listener(fd, name, paths[k],
		    types != NULL ? types[k] : SOCK_SEQPACKET) == -1)
			goto fail;
		fds[k] = fd;
		kept++;
	}
	if (cur != NULL) {
		log_warnx("LISTEN_FDNAMES has more names than LISTEN_FDS=%s",
		    nfds);
		goto fail;
	}
	free(copy);
	/* consumed: children must not think the sockets are theirs */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return kept;
fail:
	free(copy);
	count = nfds != NULL ? notify_parse_u64(nfds, &ok) : 0;
	for (i = 0; ok && i < count && i < NOTIFY_MAX_FDS; i++)
		close((int)(3 + i));
	for (k = 0; k < n; k++)
		fds[k] = -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return -1;
}
