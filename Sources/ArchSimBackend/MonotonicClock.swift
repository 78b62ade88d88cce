// SPDX-License-Identifier: GPL-3.0-or-later
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Nanoseconds on the machine's monotonic clock (CLOCK_MONOTONIC): comparable across threads
/// of one process, not across processes or reboots. Costs one vDSO call (~20 ns).
@inline(__always) public func monotonicNanoseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// Nanoseconds of CPU the calling thread has used (CLOCK_THREAD_CPUTIME_ID). Meaningful across a
/// span only when the span runs on one thread without suspending (a SQLite call inside GRDB's
/// closure, not an `await`).
@inline(__always) public func threadCPUNanoseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}
