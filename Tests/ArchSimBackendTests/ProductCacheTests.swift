// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import ArchSimModel
import XCTest

/// The backend's cache: the simulator's eviction policies hold, invalidation removes, values of
/// evicted keys do not pile up.
final class ProductCacheTests: XCTestCase {
    func product(_ id: Int) -> Catalogue.Product { Catalogue.product(id, seed: 1) }

    func testLRUEvictsLeastRecentlyUsed() {
        let cache = ProductCache(capacity: 3, eviction: .lru)
        for id in 1...3 { cache.set(product(id)) }
        XCTAssertEqual(cache.get(1), product(1))  // 1 is now the most recent
        cache.set(product(4))                      // evicts 2
        XCTAssertNil(cache.get(2))
        XCTAssertEqual(cache.get(1), product(1))
        XCTAssertEqual(cache.get(3), product(3))
        XCTAssertEqual(cache.get(4), product(4))
        let stats = cache.stats()
        XCTAssertEqual(stats.entries, 3)
        XCTAssertEqual(stats.evictions, 1)
        XCTAssertEqual(stats.gets, 5)
        XCTAssertEqual(stats.hits, 4)
    }

    func testEveryPolicyKeepsCapacityAndServesWhatItHolds() {
        for policy in EvictionPolicy.allCases {
            let cache = ProductCache(capacity: 50, eviction: policy, seed: 3)
            for round in 0..<20 { for id in 1...100 where (id + round) % 3 != 0 { cache.set(product(id)) } }
            var held = 0
            for id in 1...100 { if let p = cache.get(Int64(id)) { XCTAssertEqual(p, product(id)); held += 1 } }
            XCTAssertEqual(held, 50, "\(policy)")
            XCTAssertEqual(cache.stats().entries, 50)
        }
    }

    func testInvalidationAndTTL() async throws {
        let cache = ProductCache(capacity: 10, eviction: .lfu, ttl: 20_000_000)
        cache.set(product(7))
        cache.delete(7)
        XCTAssertNil(cache.get(7))
        cache.set(product(8))
        XCTAssertNotNil(cache.get(8))
        try await Task.sleep(nanoseconds: 40_000_000)
        XCTAssertNil(cache.get(8), "expired after its TTL")
    }

    func testZeroCapacityStoresNothing() {
        let cache = ProductCache(capacity: 0, eviction: .fifo)
        cache.set(product(1))
        XCTAssertNil(cache.get(1))
    }
}
