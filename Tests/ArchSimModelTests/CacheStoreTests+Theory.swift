// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel
import Foundation
import XCTest

/// ``CacheStore`` against cache theory under the independent reference model, and its cost.
extension CacheStoreTests {
    /// Runs a cache-aside node (get; on a miss, set) over `trace`: the first `warm` requests
    /// warm it, the rest are measured in `batches` batches. Returns the hit ratio, its standard
    /// error from the batch means, and the keys cached at the end.
    func hitRatio(_ policy: EvictionPolicy, capacity: Int, trace: [Int32], warm: Int, batches: Int = 20)
        -> (ratio: Double, se: Double, cached: [UInt64]) {
        let streams = RandomStreams(seed: 4_242)
        return withExtendedLifetime(streams) {
            var c = CacheStore(capacity: capacity, eviction: policy, stream: streams.stream("evict"))
            for k in trace[..<warm] where !c.get(UInt64(k), now: 0) { c.set(UInt64(k), expiresAt: .max, now: 0) }
            let per = (trace.count - warm) / batches
            var ratios: [Double] = []
            for b in 0..<batches {
                c.resetCounters()
                let start = warm + b * per
                for k in trace[start..<(start + per)] where !c.get(UInt64(k), now: 0) {
                    c.set(UInt64(k), expiresAt: .max, now: 0)
                }
                ratios.append(c.counters.hitRatio)
            }
            let mean = ratios.reduce(0, +) / Double(batches)
            let variance = ratios.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(batches - 1)
            return (mean, (variance / Double(batches)).squareRoot(), c.keysInEvictionOrder)
        }
    }

    /// n = 100,000 Zipf keys, s ∈ {0.8, 1.0}, capacity 1% and 10% of n; one trace per skew shared
    /// by every policy and capacity (common random numbers); 400,000 warm-up requests (more
    /// than 10 T, the characteristic time, in every case; in-cache LFU's content has settled
    /// too) and 1,200,000 measured (SE from 20 batch means ≈ 0.03–0.05 percentage points).
    ///
    /// - LRU vs Che's approximation, FIFO and RANDOM vs Fricker–Robert–Roberts: within 1
    ///   percentage point (measured: within 0.05).
    /// - LFU is *in-cache* LFU (a key's count is forgotten when it leaves), and under IRM it
    ///   does **not** converge to the top-C static optimum: it falls 2.3–4.9 points short, and
    ///   the gap does not shrink with time (measured unchanged from 1 to 20 million requests).
    ///   The reason: a newcomer enters at frequency 1, alone at the bottom, and is the victim of
    ///   the very next miss (about 1/(1 − hit ratio) ≈ 2 requests later) unless requested again
    ///   first — probability ≈ 2 p_i ≪ 1 — and its count restarts on every re-entry, while the
    ///   resident keys' counts grow as p_j t. So the content freezes on what the early requests
    ///   admitted: only 59–69% of the cached keys are in the top C. (Breslau, Cao, Fan, Phillips,
    ///   Shenker 1999 report the same for In-Cache-LFU against Perfect-LFU.) The 1.5-point
    ///   target is therefore replaced by checks that hold for this policy: the hit ratio equals
    ///   the popularity mass of the frozen content (within 0.3 points), never exceeds the
    ///   optimum, beats LRU, and stays within 6 points of the optimum (a regression guard on
    ///   the measured gap, not a theory tolerance).
    func testHitRatioVersusTheory() {
        let n = 100_000, warm = 400_000, measured = 1_200_000
        var rows: [String] = []
        for s in [0.8, 1.0] {
            let trace = cacheZipfTrace(count: warm + measured, keys: n, s: s, seed: 9, name: "irm.\(s)")
            let p = CacheTheory.zipf(count: n, s: s)
            for capacity in [n / 100, n / 10] {
                let che = CacheTheory.lruChe(p, capacity: capacity)
                let frr = CacheTheory.fifoRandom(p, capacity: capacity)
                let top = CacheTheory.topC(p, capacity: capacity)
                XCTAssertLessThan(10 * max(che.t, frr.t), Double(warm), "warm-up shorter than 10 T")
                var lruRatio = 0.0
                for policy in EvictionPolicy.allCases {
                    let sim = hitRatio(policy, capacity: capacity, trace: trace, warm: warm)
                    let label = "s=\(s) C=\(capacity) \(policy)"
                    let theory: Double, name: String
                    switch policy {
                    case .lru:
                        (theory, name) = (che.hit, "Che")
                        lruRatio = sim.ratio
                        XCTAssertEqual(sim.ratio, theory, accuracy: 0.01, "\(label) vs Che")
                    case .fifo, .random:
                        (theory, name) = (frr.hit, "FRR")
                        XCTAssertEqual(sim.ratio, theory, accuracy: 0.01, "\(label) vs Fricker–Robert–Roberts")
                    case .lfu:
                        (theory, name) = (top, "top-C")
                        let mass = sim.cached.reduce(0.0) { $0 + p[Int($1)] }
                        XCTAssertEqual(sim.ratio, mass, accuracy: 0.003, "\(label): hit ratio = cached mass")
                        XCTAssertLessThanOrEqual(sim.ratio, top + 3 * sim.se, "\(label) above the optimum")
                        XCTAssertGreaterThan(sim.ratio, lruRatio, "\(label) not above LRU")
                        XCTAssertEqual(sim.ratio, top, accuracy: 0.06, "\(label): in-cache LFU gap grew")
                    }
                    let t = policy == .lru ? che.t : policy == .lfu ? .nan : frr.t
                    rows.append(String(format: "s=%.1f C=%6d %-6@ sim %.4f ± %.4f  %-5@ %.4f  diff %+.2f pp  (T = %.0f)",
                                       s, capacity, policy.rawValue, sim.ratio, sim.se, name, theory,
                                       (sim.ratio - theory) * 100, t))
                }
            }
        }
        print("Cache hit ratio under IRM, n = \(n), \(warm) warm-up + \(measured) measured requests (SE from 20 batch means):")
        for r in rows { print("  " + r) }
    }

    /// 200,000 entries cached from a 1,000,000-key Zipf(0.8) catalogue: bytes held per entry,
    /// from the buffers' capacities × strides.
    func testMemoryPerEntry() {
        let n = 1_000_000, capacity = 200_000
        let trace = cacheZipfTrace(count: 2_000_000, keys: n, s: 0.8, seed: 11, name: "memory")
        for policy in EvictionPolicy.allCases {
            var c = store(capacity, policy, stream: "memory.\(policy)")
            var i = 0
            while c.count < capacity && i < trace.count {
                let k = UInt64(trace[i])
                if !c.get(k, now: 0) { c.set(k, expiresAt: .max, now: 0) }
                i += 1
            }
            XCTAssertEqual(c.count, capacity, "\(policy): filled")
            // Keep running for a while so LFU's buckets and every buffer reach a steady size.
            for k in trace[i...] where !c.get(UInt64(k), now: 0) {
                c.set(UInt64(k), expiresAt: .max, now: 0)
            }
            let bytes = c.memoryBytes
            let perEntry = Double(bytes) / Double(capacity)
            print(String(format: "Cache memory %-6@ %d entries: %.2f MB, %.1f bytes/entry (table %d cells)",
                         policy.rawValue, capacity, Double(bytes) / 1e6, perEntry, c.tableCells.count))
            XCTAssertLessThanOrEqual(perEntry, 48, "\(policy) bytes per entry")
        }
    }

    /// A million cache-aside requests per policy (Zipf 0.8 over 100,000 keys, capacity 10,000;
    /// every 16th request an invalidating delete instead), timed; prints ns per request and per
    /// store call.
    func testOperationTime() {
        let n = 100_000, requests = 1_000_000
        let trace = cacheZipfTrace(count: requests, keys: n, s: 0.8, seed: 13, name: "time")
        for policy in EvictionPolicy.allCases {
            var c = store(n / 10, policy, stream: "time.\(policy)")
            for k in trace where !c.get(UInt64(k), now: 0) { c.set(UInt64(k), expiresAt: .max, now: 0) }  // warm
            c.resetCounters()
            var calls = 0, deleted = 0
            let clock = ContinuousClock()
            let start = clock.now
            for (i, k) in trace.enumerated() {
                let key = UInt64(k)
                if i & 15 == 15 {
                    if c.delete(key) { deleted += 1 }
                    calls += 1
                } else if c.get(key, now: Int64(i)) {
                    calls += 1
                } else {
                    c.set(key, expiresAt: .max, now: Int64(i))
                    calls += 2
                }
            }
            let elapsed = clock.now - start
            let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
            print(String(format: "Cache time %-6@ %.1f ns/request, %.1f ns/call (%d calls, hit ratio %.3f, %d deleted)",
                         policy.rawValue, ns / Double(requests), ns / Double(calls), calls, c.counters.hitRatio, deleted))
            c.checkInvariants()
            // Only a gross regression fails this (the machine is shared; the figure is printed).
            XCTAssertLessThan(ns / Double(calls), 2_000, "\(policy) ns per call")
        }
    }
}
