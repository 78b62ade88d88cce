// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel

/// Spreads a service's requests over its instances by a policy.
///
/// Ties are broken deterministically: `least_connections` scans from a rotating start (so equal
/// instances take turns), `power_of_two` keeps the first of the two draws. Instances that the
/// balancer considers down (a failed health check) are skipped by every policy.
package struct LoadBalancer {
    package let policy: BalancerPolicy
    package let stream: RandomStream
    package let count: Int
    private var next = 0
    /// consistent_hash: the ring of instances.
    private var ring: HashRing?

    package init(policy: BalancerPolicy, service: String, instances: Int, streams: RandomStreams) {
        self.policy = policy
        self.count = instances
        self.stream = streams.stream("balancer.\(service)")
        if policy == .consistentHash {
            ring = HashRing(members: 0..<instances) { i, v in "\(service)#\(i)#\(v)" }
        }
    }

    /// The instance (0..<count) for the next request among `instances` (the service's own):
    /// a policy compares their open connections and skips those the balancer considers down.
    /// Returns nil when none is up. O(1) for round_robin, random and power_of_two;
    /// O(instances) for least_connections; O(log(instances)) for consistent_hash.
    /// `tried`: instances this request already reached (`retry_failed`), skipped like those down.
    package mutating func pick(key: UInt64?, instances: UnsafeBufferPointer<ServiceInstance>,
                               excluding tried: ArraySlice<Int> = []) -> Int? {
        @inline(__always) func load(_ i: Int) -> Int { instances[i].open }
        @inline(__always) func up(_ i: Int) -> Bool { instances[i].balancerSendsTo && (tried.isEmpty || !tried.contains(i)) }
        if count == 1 { return up(0) ? 0 : nil }
        switch policy {
        case .roundRobin:
            for _ in 0..<count {
                let i = next; next = (next + 1) % count
                if up(i) { return i }
            }
            return nil
        case .random:
            let i = stream.index(below: count)
            return up(i) ? i : firstUp(from: i, up)
        case .leastConnections:
            var best = -1, bestLoad = Int.max
            let start = next; next = (next + 1) % count
            for k in 0..<count {
                let i = (start + k) % count
                if up(i), load(i) < bestLoad { best = i; bestLoad = load(i) }
            }
            return best < 0 ? nil : best
        case .powerOfTwo:
            let a = stream.index(below: count)
            var b = stream.index(below: count - 1)
            if b >= a { b += 1 }
            switch (up(a), up(b)) {
            case (true, true): return load(b) < load(a) ? b : a
            case (true, false): return a
            case (false, true): return b
            case (false, false): return firstUp(from: a, up)
            }
        case .consistentHash:
            guard let key else {
                // A request without a key has nothing to hash: take turns.
                let i = next; next = (next + 1) % count
                return up(i) ? i : firstUp(from: i, up)
            }
            // Walk clockwise to the first instance that is up.
            return ring!.member(for: key, where: up)
        }
    }

    private func firstUp(from i: Int, _ up: (Int) -> Bool) -> Int? {
        for k in 1..<count where up((i + k) % count) { return (i + k) % count }
        return nil
    }
}
