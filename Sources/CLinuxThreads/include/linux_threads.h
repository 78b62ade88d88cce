// SPDX-License-Identifier: GPL-3.0-or-later
// Thread ids and CPU affinity of Linux threads, for keeping the load generator off the
// backend's cores, and posix_spawn's chdir for the lab's servers (glibc declares these only
// under _GNU_SOURCE, which Swift's Glibc lacks).
#ifndef ARCHSIM_LINUX_THREADS_H
#define ARCHSIM_LINUX_THREADS_H

/// The kernel thread id of the calling thread (0 where unsupported).
int archsim_gettid(void);

/// Restricts thread `tid` (0: the calling thread) to the `count` cores in `cores`.
/// Returns 0 on success, -1 on failure (or where unsupported).
int archsim_setaffinity(int tid, const int *cores, int count);

/// Writes up to `capacity` cores the calling thread may run on into `cores`, ascending;
/// returns how many, or -1 on failure.
int archsim_getaffinity(int *cores, int capacity);

/// posix_spawn_file_actions_addchdir_np (glibc ≥ 2.29) for `actions` (a posix_spawn_file_actions_t*):
/// the spawned process starts in `path`. Returns 0 or an errno value (ENOSYS where unsupported).
int archsim_spawn_addchdir(void *actions, const char *path);

/// posix_spawn_file_actions_addclosefrom_np (glibc ≥ 2.34) for `actions`: every descriptor from
/// `from` up is closed in the spawned process. Returns 0 or an errno value (ENOSYS where unsupported).
int archsim_spawn_addclosefrom(void *actions, int from);

#endif
