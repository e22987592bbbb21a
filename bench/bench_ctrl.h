#pragma once
/*
 * bench-controller's modes: the store and HTTP figures (controller.c)
 * and config requests answered per second (controller_config.c).
 */

#include <sys/types.h>

#include <stdint.h>

/* bench-controller config ZT-CONTROLLERD VECTORS CACHE-FILE [MEMBERS] */
int	 bench_config(int, char **);

/* shared by both modes (controller.c) */
/* wall-clock milliseconds, as the controller's timestamps */
int64_t	 bench_clock(void);
/* monotonic seconds, for intervals */
double	 bench_secs(void);
/* CPU seconds (user + system) of a process so far; -1 if unknown */
double	 bench_cpu(pid_t);
