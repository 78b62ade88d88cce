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
        // Each term is at most a sample's 10⁶ h: their sum may pass Int64.max, and saturates.
        let (there, o1) = hopTime().addingReportingOverflow(latency)
        let (back, o2) = there.addingReportingOverflow(hopTime())
        events.schedule(after: o1 || o2 ? .max : back, EventKind.resume.payload(t))
    }
}
