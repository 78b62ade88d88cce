// SPDX-License-Identifier: GPL-3.0-or-later

/// Cache steps: `cache_get` (with `on_miss`), `cache_set`, `cache_delete` on the request's key.
extension Simulation {
    /// Runs a cache step for task `t`: the cache performs it now; the task waits a hop, the
    /// cache's latency and a hop back. A hit of `cache_get` skips the `on_miss` steps.
    func cacheStep(_ t: TaskID, _ operation: DistributedCache.Operation, cache c: Int, onHit: Int32 = 0) {
        let now = events.now
        let key = requests[tasks[t].request].optionalKey
        let (hit, latency) = caches[c].perform(operation, key: key, at: now, counted: now >= warmupEnd)
        if hit { tasks[t].pc = onHit }
        events.schedule(after: hopTime() + latency + hopTime(), EventKind.resume.payload(t))
    }
}
