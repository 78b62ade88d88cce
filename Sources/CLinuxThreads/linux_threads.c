// SPDX-License-Identifier: GPL-3.0-or-later
#define _GNU_SOURCE
#include "linux_threads.h"
#ifdef __linux__
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

int archsim_gettid(void) { return (int)syscall(SYS_gettid); }

int archsim_setaffinity(int tid, const int *cores, int count) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int i = 0; i < count; i++)
        if (cores[i] >= 0 && cores[i] < CPU_SETSIZE) CPU_SET(cores[i], &set);
    return sched_setaffinity(tid, sizeof(set), &set) == 0 ? 0 : -1;
}

int archsim_getaffinity(int *cores, int capacity) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return -1;
    int n = 0;
    for (int c = 0; c < CPU_SETSIZE && n < capacity; c++)
        if (CPU_ISSET(c, &set)) cores[n++] = c;
    return n;
}
#else
int archsim_gettid(void) { return 0; }
int archsim_setaffinity(int tid, const int *cores, int count) { (void)tid; (void)cores; (void)count; return -1; }
int archsim_getaffinity(int *cores, int capacity) { (void)cores; (void)capacity; return -1; }
#endif

#if defined(__linux__) && defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29))
#include <spawn.h>
int archsim_spawn_addchdir(void *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np((posix_spawn_file_actions_t *)actions, path);
}
#else
#include <errno.h>
int archsim_spawn_addchdir(void *actions, const char *path) { (void)actions; (void)path; return ENOSYS; }
#endif

#if defined(__linux__) && defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
#include <spawn.h>
int archsim_spawn_addclosefrom(void *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np((posix_spawn_file_actions_t *)actions, from);
}
#else
#include <errno.h>
int archsim_spawn_addclosefrom(void *actions, int from) { (void)actions; (void)from; return ENOSYS; }
#endif
