// SPDX-License-Identifier: GPL-3.0-or-later

/// Cache steps: `cache_get` (with `on_miss`), `cache_set`, `cache_delete` on the request's key.
extension Simulation {
    /// Runs a cache operation for task `t`: the node's state changes when the operation is made;
    /// the task waits a hop, the cache's latency and a hop back. A request without a key misses
    /// and stores nothing.
    func cacheOperation(_ t: Int32, _ instruction: Instruction) {
        let ti = Int(t)
        let c = Int(instruction.a)
        let request = Int(tasks[ti].request)
        let now = events.now
        let counted = now >= warmupEnd
        var latency = caches[c].latency.sample()
        if requests[request].hasKey {
            let key = requests[request].key
            let n = caches[c].node(of: key)
            if caches[c].nodes[n].slowFactor != 1 {
                latency = Int64((Double(latency) * caches[c].nodes[n].slowFactor).rounded())
            }
            if counted { caches[c].nodes[n].operations += 1 }
            let up = !caches[c].nodes[n].down
            switch instruction.op {
            case .cacheGet:
                let hit = up && caches[c].nodes[n].store.get(key, now: now)
                if counted { caches[c].nodes[n].gets += 1; if hit { caches[c].nodes[n].hits += 1 } }
                if hit { tasks[ti].pc = instruction.b }
            case .cacheSet:
                if up {
                    let expires = caches[c].ttl.map { now + $0 } ?? Int64.max
                    caches[c].nodes[n].store.set(key, expiresAt: expires, now: now)
                }
            default:
                if up { _ = caches[c].nodes[n].store.delete(key) }
            }
        } else if instruction.op == .cacheGet, counted {
            caches[c].nodes[0].gets += 1
        }
        events.schedule(after: hopTime() + latency + hopTime(), EventKind.resume.payload(ti))
    }
}
