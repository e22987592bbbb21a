#pragma once
/*
 * bench-controller's modes: the store and HTTP figures (controller.c)
 * and config requests answered per second (controller_config.c).
 */

/* bench-controller config ZT-CONTROLLERD VECTORS CACHE-FILE [MEMBERS] */
int	 bench_config(int, char **);
