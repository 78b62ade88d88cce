// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel

/// A model whose clock cannot advance is refused.
///
/// The rule: a **closed** workload is refused when its think time is always 0 ns and **every**
/// request type it sends (weight > 0) can be answered in 0 ns. Its users would then send,
/// be answered and send again at one instant forever. A request can be answered in 0 ns when
/// the operation it is routed to can: its `cpu` is always 0, and so is each step on the way a
/// cache hit takes — `delay` and `cpu` steps; every network hop before a `call`, cache or
/// database step; a cache's `latency` (a hit skips `on_miss`); a database server's `read` or
/// `write`; and, through `call` and every branch of `parallel`, the called operations.
///
/// "Always 0 ns" is decided from the distribution: a `constant`, a `uniform` whose `max`, an
/// `empirical` whose largest value, or a `normal` with `sd` 0 whose mean rounds to 0 ns. A
/// distribution without an upper bound (exponential, …) can always draw more, and is not.
/// An open workload always advances: its arrivals are spaced in time.
extension ScenarioReader {
    func checkClockAdvances(_ workload: Workload, _ architecture: Architecture, think: Cursor?) {
        guard case .closed(_, let thinkTime) = workload.arrivals, thinkTime.alwaysZero,
              architecture.routes.count == workload.requestTypes.count else { return }
        let zero = zeroTimeOperations(architecture)
        let sent = workload.requestTypes.indices.filter { workload.requestTypes[$0].weight > 0 }
        guard !sent.isEmpty, sent.allSatisfy({ i in
            let route = architecture.routes[i]
            return zero.indices.contains(route.service) && zero[route.service].indices.contains(route.operation)
                && zero[route.service][route.operation]
        }) else { return }
        guard let think else { return }
        report(think, "closed users whose think time is always 0 need time to pass in their requests, but every request type "
               + "here can be answered in 0 ns (all its cpu, delays, hops and latencies can be 0), so the clock would never "
               + "advance; give think a positive time, or some step of a request a time that is not always 0")
    }

    /// For each service and operation, whether it can complete in 0 ns. Linear in the
    /// architecture: an operation is "local-zero" when its own times can all be 0, and an
    /// operation is zero-time unless it reaches, through calls it always makes, one that is
    /// not local-zero (found backwards from those, without recursion).
    private func zeroTimeOperations(_ architecture: Architecture) -> [[Bool]] {
        let hopZero = architecture.hop.alwaysZero
        var local = architecture.services.map { $0.operations.map { _ in true } }
        var callers = architecture.services.map { $0.operations.map { _ in [OperationRef]() } }
        func scan(_ steps: [Step], _ from: OperationRef) -> Bool {
            var zero = true
            for step in steps {
                switch step {
                case .call(let callee, _):
                    zero = zero && hopZero
                    if callers.indices.contains(callee.service), callers[callee.service].indices.contains(callee.operation) {
                        callers[callee.service][callee.operation].append(from)
                    }
                case .parallel(let branches): zero = scan(branches, from) && zero
                case .delay(let d), .cpu(let d): zero = zero && d.alwaysZero
                case .cacheGet(let c, _), .cacheSet(let c), .cacheDelete(let c):
                    // A hit skips on_miss: the calls there are not always made.
                    zero = zero && hopZero && (architecture.caches.indices.contains(c) ? architecture.caches[c].latency.alwaysZero : false)
                case .dbRead(let d, let strong, _):
                    guard architecture.databases.indices.contains(d) else { zero = false; continue }
                    let db = architecture.databases[d]
                    let server = !strong && db.readsFrom == .replicas && db.replicaCount > 0 ? db.replica : db.primary
                    zero = zero && hopZero && server.read.alwaysZero
                case .dbWrite(let d, _):
                    guard architecture.databases.indices.contains(d) else { zero = false; continue }
                    zero = zero && hopZero && architecture.databases[d].primary.write.alwaysZero
                }
            }
            return zero
        }
        for (s, service) in architecture.services.enumerated() {
            for (o, operation) in service.operations.enumerated() {
                let ref = OperationRef(service: s, operation: o)
                local[s][o] = (operation.cpu?.alwaysZero ?? true) && scan(operation.steps, ref)
            }
        }
        var zero = local
        var pending: [OperationRef] = []
        for s in local.indices { for o in local[s].indices where !local[s][o] { pending.append(OperationRef(service: s, operation: o)) } }
        while let ref = pending.popLast() {
            for caller in callers[ref.service][ref.operation] where zero[caller.service][caller.operation] {
                zero[caller.service][caller.operation] = false
                pending.append(caller)
            }
        }
        return zero
    }
}

extension Distribution {
    /// Whether every draw rounds to 0 ns: a distribution bounded above by less than 0.5 ns.
    var alwaysZero: Bool {
        switch self {
        case .constant(let v): return v < 0.5
        case .uniform(_, let hi): return hi < 0.5
        case .normal(let mean, let sd): return sd == 0 && mean < 0.5
        case .empirical(let e): return (e.values.last ?? e.binEdges.last ?? 0) < 0.5
        default: return false
        }
    }
}
