// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// The queueing formulas operational analysis uses: Erlang C for a c-server station, and mean
/// value analysis for a closed network. Times in seconds, rates per second.
public enum QueueingFormulas {
    /// Erlang C: the probability that an arrival waits at an M/M/c station offered `load`
    /// a = λS erlangs (a < c). Computed by the stable Erlang B recursion
    /// B(k) = a B(k−1) / (k + a B(k−1)), then C = B / (1 − ρ(1 − B)). O(c); for c above 10⁵
    /// the normal approximation's regime, still exact here but linear in c.
    public static func erlangC(servers c: Int, load a: Double) -> Double {
        guard a > 0 else { return 0 }
        guard a < Double(c) else { return 1 }
        let b = erlangB(servers: c, load: a)
        let rho = a / Double(c)
        return b / (1 - rho * (1 - b))
    }

    /// Erlang B: the probability that an arrival finds all `c` servers busy and is lost, at an
    /// M/G/c/c station offered `load` a = λS erlangs (insensitive to the service distribution
    /// beyond its mean). The stable recursion B(k) = a B(k−1) / (k + a B(k−1)), B(0) = 1. O(c).
    public static func erlangB(servers c: Int, load a: Double) -> Double {
        guard a > 0 else { return 0 }
        var b = 1.0
        for k in stride(from: 1, through: c, by: 1) { b = a * b / (Double(k) + a * b) }
        return b
    }

    /// Mean wait in queue (s) at an M/M/c station of mean service `service` (s) offered `load`
    /// erlangs: C(c, a) S / (c − a); infinite at or past saturation.
    public static func waitingTime(servers c: Int, load a: Double, service s: Double) -> Double {
        guard a < Double(c) else { return .infinity }
        return erlangC(servers: c, load: a) * s / (Double(c) - a)
    }

    /// The factor by which processor sharing over c cores stretches a job: its mean sojourn over
    /// its work, 1 + C(c, a)/(c − a). Exact for any service distribution (a symmetric queue,
    /// Kelly 1979: the number present is that of M/M/c, split over jobs in proportion to their
    /// work); 1/(1 − ρ) for one core.
    public static func sharingStretch(servers c: Int, load a: Double) -> Double {
        guard a < Double(c) else { return .infinity }
        return 1 + erlangC(servers: c, load: a) / (Double(c) - a)
    }

    /// One station of a closed network for ``meanValueAnalysis(stations:think:users:)``.
    public struct ClosedStation: Sendable {
        /// Service demand per request (s).
        public var demand: Double
        /// Servers; more than one is Seidmann's approximation (below).
        public var servers: Int
        public init(demand: Double, servers: Int) { self.demand = demand; self.servers = servers }
    }

    /// Mean value analysis (Reiser and Lavenberg 1980) of a single-class closed network:
    /// `users` users, each thinking `think` s between requests. Exact for single-server stations
    /// (FCFS exponential or processor sharing) and delays. A c-server station of demand D is
    /// Seidmann's approximation (1987): a single server of demand D/c followed by a delay of
    /// D (c − 1)/c. Returns throughput (/s) and mean response (s, think excluded).
    /// O(users × stations).
    public static func meanValueAnalysis(stations: [ClosedStation], think: Double, users: Int)
        -> (throughput: Double, response: Double) {
        var queue = [Double](repeating: 0, count: stations.count)
        var delay = 0.0
        var queued: [Double] = []
        for s in stations {
            let c = Double(max(1, s.servers))
            queued.append(s.demand / c)
            delay += s.demand * (c - 1) / c
        }
        var x = 0.0, r = delay
        for n in stride(from: 1, through: users, by: 1) {
            r = delay
            for k in stations.indices { r += queued[k] * (1 + queue[k]) }
            x = Double(n) / (think + r)
            for k in stations.indices { queue[k] = x * queued[k] * (1 + queue[k]) }
        }
        return (x, r)
    }
}
