// SPDX-License-Identifier: GPL-3.0-or-later

/// Cache steps: `cache_get` (with `on_miss`), `cache_set`, `cache_delete` on the request's key.
extension Simulation {
    /// Runs a cache step for task `t`: the cache performs it now; the task waits a hop, the
    /// cache's latency and a hop back. A hit of `cache_get` skips the `on_miss` steps. With node
    /// throughput (a `service` time) the operation instead travels to its node and may queue
    /// there (``cacheArrive(_:)``).
    func cacheStep(_ t: TaskID, _ operation: DistributedCache.Operation, cache c: Int, onHit: Int32 = 0) {
        let now = events.now
        let key = requests[tasks[t].request].optionalKey
        if caches[c].queues {
            // Half the round trip there; the other half comes back after the service.
            let trip = caches[c].roundTrip(node: caches[c].node(for: key))
            tasks[t].rowKey = UInt64(trip - trip / 2)
            let (there, overflow) = hopTime().addingReportingOverflow(trip / 2)
            events.schedule(after: overflow ? .max : there, EventKind.cacheArrive.payload(t))
            return
        }
        let (hit, latency) = caches[c].perform(operation, key: key, at: now, counted: now >= warmupEnd)
        if hit { tasks[t].pc = onHit }
        // Each term is at most a sample's 10⁶ h: their sum may pass Int64.max, and saturates.
        let (there, o1) = hopTime().addingReportingOverflow(latency)
        let (back, o2) = there.addingReportingOverflow(hopTime())
        events.schedule(after: o1 || o2 ? .max : back, EventKind.resume.payload(t))
    }

    /// The task's cache step (at `pc - 1`): its cache, operation and on-hit jump.
    private func cacheOperation(of t: TaskID) -> (cache: Int, operation: DistributedCache.Operation, onHit: Int32) {
        switch program.code[Int(tasks[t].pc) - 1] {
        case .cacheGet(let c, let onHit): return (Int(c), .get, onHit)
        case .cacheSet(let c): return (Int(c), .set, 0)
        case .cacheDelete(let c): return (Int(c), .delete, 0)
        default: preconditionFailure("not at a cache step")
        }
    }

    /// A cache operation reaches its node: it takes a worker now, or waits for one (FIFO).
    func cacheArrive(_ t: TaskID) {
        let op = cacheOperation(of: t)
        let n = caches[op.cache].node(for: requests[tasks[t].request].optionalKey)
        if caches[op.cache].arrive(t, node: n, at: events.now) { cacheServe(t, waited: 0) }
    }

    /// A get's hit, carried with the return trip in ``Task/rowKey`` until the answer leaves the
    /// node (the step's pc must stay on the cache step until then).
    private static let hitFlag: UInt64 = 1 << 63

    /// A cache operation holding a node's worker: its effect happens now, and it holds the
    /// worker for the service time.
    private func cacheServe(_ t: TaskID, waited: Int64) {
        let now = events.now, counted = now >= warmupEnd
        let op = cacheOperation(of: t)
        let key = requests[tasks[t].request].optionalKey
        let n = caches[op.cache].node(for: key)
        if caches[op.cache].apply(op.operation, key: key, node: n, at: now, counted: counted) { tasks[t].rowKey |= Self.hitFlag }
        let time = caches[op.cache].startService(node: n, waited: waited, counted: counted)
        events.schedule(after: time, EventKind.cacheServed.payload(t))
    }

    /// A cache operation's service ended: the node's worker goes to the next waiting operation,
    /// and the answer travels the rest of the round trip and a hop back.
    func cacheServed(_ t: TaskID) {
        let op = cacheOperation(of: t)
        let n = caches[op.cache].node(for: requests[tasks[t].request].optionalKey)
        if case .task(let next, let waited) = caches[op.cache].finishService(node: n, at: events.now) {
            cacheServe(next, waited: waited)
        }
        if tasks[t].rowKey & Self.hitFlag != 0 { tasks[t].pc = op.onHit }
        let (back, overflow) = Int64(tasks[t].rowKey & ~Self.hitFlag).addingReportingOverflow(hopTime())
        events.schedule(after: overflow ? .max : back, EventKind.resume.payload(t))
    }
}
