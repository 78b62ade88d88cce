// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel
import Foundation
import XCTest

/// ``CacheStore``: eviction order per policy on tiny examples, TTL, delete, crash; a randomized
/// comparison with ``CacheReferenceModel`` under full invariant checks; hit ratios under the
/// independent reference model against Che's and Fricker–Robert–Roberts' approximations and
/// the static optimum; memory per entry; operation time.
final class CacheStoreTests: XCTestCase {
    /// Owns the generators of every stream made by ``store(_:_:)``.
    let streams = RandomStreams(seed: 20_240_601)

    func store(_ capacity: Int, _ policy: EvictionPolicy, stream name: String = "cache.evict") -> CacheStore {
        CacheStore(capacity: capacity, eviction: policy, stream: streams.stream(name))
    }

    /// Sets `keys` in order, never expiring, at time 0.
    func fill(_ c: inout CacheStore, _ keys: [UInt64]) {
        for k in keys { c.set(k, expiresAt: .max, now: 0) }
        c.checkInvariants()
    }

    func present(_ c: inout CacheStore, _ keys: [UInt64]) -> [Bool] {
        keys.map { c.get($0, now: 0) }
    }

    // MARK: Eviction order

    func testLRUEvictsLeastRecentlyUsed() {
        var c = store(3, .lru)
        fill(&c, [1, 2, 3])
        XCTAssertTrue(c.get(1, now: 0))
        XCTAssertEqual(c.keysInEvictionOrder, [2, 3, 1])
        c.set(4, expiresAt: .max, now: 0)
        c.checkInvariants()
        XCTAssertEqual(c.keysInEvictionOrder, [3, 1, 4])
        XCTAssertEqual(present(&c, [2, 1, 3, 4]), [false, true, true, true])
        XCTAssertEqual(c.counters.evictions, 1)
    }

    func testLRUSetOfPresentKeyIsAUseAndRefreshesExpiry() {
        var c = store(3, .lru)
        fill(&c, [1, 2, 3])
        c.set(1, expiresAt: 50, now: 10)  // refresh: now the most recent, expiring at 50
        XCTAssertEqual(c.count, 3)
        XCTAssertEqual(c.keysInEvictionOrder, [2, 3, 1])
        c.set(4, expiresAt: .max, now: 20)
        XCTAssertEqual(c.keysInEvictionOrder, [3, 1, 4])
        XCTAssertTrue(c.get(1, now: 49))
        XCTAssertFalse(c.get(1, now: 50))
        c.checkInvariants()
    }

    func testFIFOEvictsOldestInsertionEvenIfJustHit() {
        var c = store(3, .fifo)
        fill(&c, [1, 2, 3])
        XCTAssertTrue(c.get(1, now: 0))
        XCTAssertTrue(c.get(1, now: 0))
        c.set(4, expiresAt: .max, now: 0)
        c.checkInvariants()
        XCTAssertEqual(c.keysInEvictionOrder, [2, 3, 4])
        XCTAssertFalse(c.get(1, now: 0))
    }

    func testFIFORefreshKeepsInsertionPosition() {
        var c = store(3, .fifo)
        fill(&c, [1, 2, 3])
        c.set(1, expiresAt: 100, now: 5)  // refresh, not a re-insertion
        XCTAssertEqual(c.keysInEvictionOrder, [1, 2, 3])
        c.set(4, expiresAt: .max, now: 6)
        XCTAssertEqual(c.keysInEvictionOrder, [2, 3, 4])
        c.checkInvariants()
    }

    func testLFUEvictsLeastFrequentAndLeastRecentAmongTies() {
        var c = store(3, .lfu)
        fill(&c, [1, 2, 3])
        XCTAssertTrue(c.get(1, now: 0))
        XCTAssertTrue(c.get(1, now: 0))
        XCTAssertTrue(c.get(2, now: 0))
        // Frequencies: 1 → 3, 2 → 2, 3 → 1.
        XCTAssertEqual(c.keysInEvictionOrder, [3, 2, 1])
        c.set(4, expiresAt: .max, now: 0)  // evicts 3
        XCTAssertEqual(c.keysInEvictionOrder, [4, 2, 1])
        c.set(5, expiresAt: .max, now: 0)  // evicts 4, the only key at frequency 1
        XCTAssertTrue(c.get(5, now: 0))  // 5 → 2: tied with 2, more recently used
        XCTAssertEqual(c.keysInEvictionOrder, [2, 5, 1])
        c.set(6, expiresAt: .max, now: 0)  // lowest frequency 2: its least recent, 2, goes
        c.checkInvariants()
        XCTAssertEqual(c.keysInEvictionOrder, [6, 5, 1])
        XCTAssertEqual(c.counters.evictions, 3)
        // A set of a present key is a use too.
        c.set(6, expiresAt: .max, now: 0)  // 6 → 2, more recent than 5
        XCTAssertEqual(c.keysInEvictionOrder, [5, 6, 1])
        c.set(6, expiresAt: 9, now: 0)  // 6 → 3, more recent than 1
        XCTAssertEqual(c.keysInEvictionOrder, [5, 1, 6])
        c.checkInvariants()
    }

    func testLFUCountsLiveOnlyWhileCached() {
        var c = store(2, .lfu)
        fill(&c, [1, 2])
        for _ in 0..<5 { XCTAssertTrue(c.get(1, now: 0)) }
        XCTAssertTrue(c.delete(1))
        c.set(1, expiresAt: .max, now: 0)  // back at frequency 1, and more recent than 2
        XCTAssertEqual(c.keysInEvictionOrder, [2, 1])
        c.set(3, expiresAt: .max, now: 0)
        XCTAssertEqual(c.keysInEvictionOrder, [1, 3])
        c.checkInvariants()
    }

    func testRandomEvictsOnlyPresentKeysAndUniformly() {
        var c = store(4, .random)
        fill(&c, [10, 11, 12, 13])
        var evicted = [UInt64: Int]()
        var next: UInt64 = 100
        for _ in 0..<8_000 {
            let before = Set(c.keysInEvictionOrder)
            c.set(next, expiresAt: .max, now: 0)
            c.checkInvariants()
            let after = Set(c.keysInEvictionOrder)
            XCTAssertEqual(c.count, 4)
            XCTAssertTrue(after.contains(next))
            let gone = before.subtracting(after)
            XCTAssertEqual(gone.count, 1, "exactly one present key evicted")
            // Which of the four was evicted, by age rank among the present keys (0 = oldest).
            let rank = before.sorted().firstIndex(of: gone.first!)!
            evicted[UInt64(rank), default: 0] += 1
            next += 1
        }
        XCTAssertEqual(c.counters.evictions, 8_000)
        // Uniform over the four present keys: each ~2000 ± 39 (sd); allow 5 sd.
        for r in 0..<4 { XCTAssertEqual(Double(evicted[UInt64(r)] ?? 0), 2_000, accuracy: 200, "rank \(r)") }
    }

    func testSameCallsAndSeedGiveSameState() {
        for policy in EvictionPolicy.allCases {
            let twin = RandomStreams(seed: 20_240_601)  // same seed and stream name as `streams`
            var a = store(50, policy, stream: "same.\(policy)")
            var b = CacheStore(capacity: 50, eviction: policy, stream: twin.stream("same.\(policy)"))
            withExtendedLifetime(twin) {
                for i in 0..<5_000 {
                    let k = UInt64((i &* 7919) % 173)
                    if !a.get(k, now: Int64(i)) { a.set(k, expiresAt: Int64(i + 400), now: Int64(i)) }
                    if !b.get(k, now: Int64(i)) { b.set(k, expiresAt: Int64(i + 400), now: Int64(i)) }
                    if i % 11 == 0 { XCTAssertEqual(a.delete(k &+ 1), b.delete(k &+ 1)) }
                }
                XCTAssertEqual(a.entries, b.entries, "\(policy)")
                XCTAssertEqual(a.tableCells, b.tableCells, "\(policy)")
                XCTAssertEqual(a.keysInEvictionOrder, b.keysInEvictionOrder, "\(policy)")
                XCTAssertEqual(a.counters, b.counters, "\(policy)")
            }
        }
    }

    // MARK: Expiry, delete, crash

    func testExpiredEntryIsRemovedOnGetAndCountsAsMiss() {
        for policy in EvictionPolicy.allCases {
            var c = store(4, policy)
            c.set(1, expiresAt: 100, now: 0)
            c.set(2, expiresAt: .max, now: 0)
            XCTAssertTrue(c.get(1, now: 99), "\(policy)")
            XCTAssertEqual(c.count, 2)
            XCTAssertFalse(c.get(1, now: 100), "\(policy): expired at expiresAt")
            XCTAssertEqual(c.count, 1, "\(policy): lazily removed by the get")
            XCTAssertEqual(c.counters, CacheStore.Counters(gets: 2, hits: 1, evictions: 0, expirations: 1))
            XCTAssertTrue(c.get(2, now: .max - 1))
            c.checkInvariants()
        }
    }

    func testSetOfExpiredKeyInsertsItAnew() {
        var c = store(3, .fifo)
        c.set(1, expiresAt: 10, now: 0)
        fill(&c, [2, 3])
        c.set(1, expiresAt: 100, now: 10)  // expired: removed, then inserted as the newest
        XCTAssertEqual(c.counters.expirations, 1)
        XCTAssertEqual(c.keysInEvictionOrder, [2, 3, 1])
        c.set(4, expiresAt: .max, now: 11)
        XCTAssertEqual(c.keysInEvictionOrder, [3, 1, 4])
        c.checkInvariants()
        // An expired entry still occupies its slot and may be evicted like any other.
        var l = store(2, .lru)
        l.set(1, expiresAt: 5, now: 0)
        l.set(2, expiresAt: .max, now: 0)
        l.set(3, expiresAt: .max, now: 10)
        XCTAssertEqual(l.counters.evictions, 1)
        XCTAssertEqual(l.counters.expirations, 0)
        XCTAssertEqual(l.keysInEvictionOrder, [2, 3])
    }

    func testDelete() {
        for policy in EvictionPolicy.allCases {
            var c = store(4, policy)
            fill(&c, [1, 2, 3, 4])
            XCTAssertTrue(c.delete(2))
            XCTAssertFalse(c.delete(2))
            XCTAssertFalse(c.delete(99))
            c.checkInvariants()
            XCTAssertEqual(c.count, 3)
            XCTAssertEqual(present(&c, [1, 2, 3, 4]), [true, false, true, true], "\(policy)")
            c.set(5, expiresAt: .max, now: 0)  // room again: no eviction
            XCTAssertEqual(c.counters.evictions, 0)
            XCTAssertEqual(c.count, 4)
            for k: UInt64 in [1, 3, 4, 5] { XCTAssertTrue(c.delete(k)); c.checkInvariants() }
            XCTAssertEqual(c.count, 0)
        }
    }

    func testRemoveAllEmptiesAndKeepsCounters() {
        for policy in EvictionPolicy.allCases {
            var c = store(8, policy)
            fill(&c, Array(0..<20))
            XCTAssertTrue(c.get(19, now: 0))
            let counters = c.counters
            c.removeAll()
            c.checkInvariants()
            XCTAssertEqual(c.count, 0)
            XCTAssertEqual(c.counters, counters)
            XCTAssertEqual(present(&c, Array(0..<20)), Array(repeating: false, count: 20))
            fill(&c, Array(100..<110))
            XCTAssertEqual(c.count, 8)
            c.resetCounters()
            XCTAssertEqual(c.counters, CacheStore.Counters())
        }
    }

    func testTinyCapacities() {
        for policy in EvictionPolicy.allCases {
            var zero = store(0, policy)
            zero.set(1, expiresAt: .max, now: 0)
            XCTAssertFalse(zero.get(1, now: 0))
            XCTAssertEqual(zero.count, 0)
            zero.checkInvariants()
            var one = store(1, policy)
            fill(&one, [1, 2])
            XCTAssertEqual(present(&one, [1, 2]), [false, true])
            XCTAssertEqual(one.counters.evictions, 1)
            one.checkInvariants()
        }
    }

    // MARK: Randomized, against the reference model

    /// 100,000 random get/set/delete calls (and a rare crash) over 1,000 Zipf-popular keys per
    /// policy, with TTLs; after every call the store's invariants are checked and its answers,
    /// count and counters must equal the reference model's (RANDOM too: the model draws from a
    /// copy of the same stream), and so must the full eviction order (every 8th call at
    /// capacity 100, where sorting the model dominates the test's time; every call at the
    /// small capacities, which add edge cases).
    func testRandomizedAgainstReferenceModel() {
        for policy in EvictionPolicy.allCases {
            for (capacity, calls) in [(100, 100_000), (1, 5_000), (7, 20_000)] {
                let streamsA = RandomStreams(seed: 77), streamsB = RandomStreams(seed: 77)
                withExtendedLifetime((streamsA, streamsB)) {
                    var c = CacheStore(capacity: capacity, eviction: policy, stream: streamsA.stream("evict"))
                    var model = CacheReferenceModel(capacity: capacity, policy: policy, stream: streamsB.stream("evict"))
                    let ops = streamsA.stream("ops")
                    let keys = ZipfSampler(count: 1_000, s: 0.9)
                    var now: Int64 = 0
                    for step in 0..<calls {
                        now += Int64(ops.index(below: 4))
                        let key = UInt64(keys.sample(ops)) &* 0x9E37_79B9  // spread ids over the 64-bit range
                        let u = ops.uniform()
                        let what: String
                        if u < 0.45 {
                            what = "get"
                            XCTAssertEqual(c.get(key, now: now), model.get(key, now: now))
                        } else if u < 0.85 {
                            what = "set"
                            let expiresAt = ops.uniform() < 0.3 ? now + 1 + Int64(ops.index(below: 300)) : .max
                            c.set(key, expiresAt: expiresAt, now: now)
                            model.set(key, expiresAt: expiresAt, now: now)
                        } else if u < 0.9999 {
                            what = "delete"
                            XCTAssertEqual(c.delete(key), model.delete(key))
                        } else {
                            what = "removeAll"
                            c.removeAll()
                            model.removeAll()
                        }
                        c.checkInvariants()
                        if c.count != model.count || ((capacity < 10 || step % 8 == 0) && c.keysInEvictionOrder != model.keysInEvictionOrder)
                            || c.counters.evictions != model.evictions || c.counters.expirations != model.expirations {
                            XCTFail("\(policy) capacity \(capacity): diverged at call \(step) (\(what) \(key))")
                            return
                        }
                    }
                    XCTAssertGreaterThan(c.counters.evictions, calls / 20, "\(policy) \(capacity)")
                    if capacity > 1 { XCTAssertGreaterThan(c.counters.expirations, 0, "\(policy) \(capacity)") }
                    XCTAssertGreaterThan(c.counters.hits, 0, "\(policy) \(capacity)")
                }
            }
        }
    }
}
