// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import Foundation
import GRDB
import XCTest

/// Replicas follow the primary's change log: a write is visible on every replica once the
/// measured lag has passed, and replicas never see writes out of order.
final class ReplicationTests: XCTestCase {
    func testWriteVisibleOnEveryReplicaAfterMeasuredLag() async throws {
        try await withBackend("replication") { backend, client in
            let placed = try await client.post("/orders", ["user_id": 2, "items": [["product_id": 20, "quantity": 1]]])
            let acknowledged = Date()
            XCTAssertEqual(placed.status, 201)
            let seq = Int64(placed.json["seq"] as? Int ?? 0)
            let orderID = Int64((placed.json["order"] as? [String: Any])?["id"] as? Int ?? 0)
            XCTAssertGreaterThan(seq, 0)
            let primaryStock = try await backend.shop.primary.read { db in
                try Int64.fetchOne(db, sql: "SELECT stock FROM products WHERE id = 20")
            }
            // Poll each replica's own tables until the order is there: the observed delay after
            // the acknowledgement is at most the lag the replica measured (plus polling slack).
            for replica in backend.shop.replicas {
                var visibleAfter: Double?
                while visibleAfter == nil, Date().timeIntervalSince(acknowledged) < 10 {
                    let found = try await replica.database.read { db in
                        try Int64.fetchOne(db, sql: "SELECT id FROM orders WHERE id = ?", arguments: [orderID])
                    }
                    if found != nil { visibleAfter = Date().timeIntervalSince(acknowledged) * 1000 } else {
                        try await Task.sleep(nanoseconds: 200_000)
                    }
                }
                let observed = try XCTUnwrap(visibleAfter, "replica \(replica.index) never showed the order")
                let lag = replica.lag.summary()
                XCTAssertGreaterThanOrEqual(lag.applied, 1)
                XCTAssertGreaterThan(lag.maxMs, 0, "lag is measured")
                XCTAssertLessThanOrEqual(observed, lag.maxMs + 25, "visible \(observed) ms after the ack; measured lag max \(lag.maxMs) ms")
                let stock = try await replica.database.read { db in try Int64.fetchOne(db, sql: "SELECT stock FROM products WHERE id = 20") }
                XCTAssertEqual(stock, primaryStock, "replica \(replica.index) has the new stock with the order")
                XCTAssertGreaterThanOrEqual(replica.appliedSeq, seq)
            }
            let status = try await client.get("/replication")
            XCTAssertEqual(status.status, 200)
            let replicas = status.json["replicas"] as? [[String: Any]] ?? []
            XCTAssertEqual(replicas.count, 2)
            XCTAssertTrue(replicas.allSatisfy { ($0["applied_seq"] as? Int ?? 0) >= Int(seq) })
            XCTAssertNotNil((replicas.first?["lag"] as? [String: Any])?["p99_ms"])
            // A non-strong read now sees the write on whichever replica serves it.
            for _ in 0..<4 {
                let r = try await client.get("/orders/\(orderID)")
                XCTAssertEqual(r.status, 200)
            }
        }
    }

    /// Many sequential stock changes of one product: every replica observes a non-increasing
    /// stock sequence (never an older value after a newer one) and ends at the primary's value.
    func testReplicasNeverSeeWritesOutOfOrder() async throws {
        try await withBackend("order") { backend, client in
            let initial = try await client.get("/products/30?consistency=strong").json["stock"] as? Int ?? 0
            let orders = min(40, initial)
            XCTAssertGreaterThan(orders, 5)
            let observer = Task { () -> [[Int64]] in
                var seen: [[Int64]] = Array(repeating: [], count: backend.shop.replicas.count)
                let deadline = Date().addingTimeInterval(20)
                while !Task.isCancelled, Date() < deadline {
                    for r in backend.shop.replicas {
                        if let s = try? await r.database.read({ db in try Int64.fetchOne(db, sql: "SELECT stock FROM products WHERE id = 30") }) {
                            seen[r.index].append(s)
                        }
                    }
                    try? await Task.sleep(nanoseconds: 200_000)
                }
                return seen
            }
            var lastSeq: Int64 = 0
            for _ in 0..<orders {
                let r = try await client.post("/orders", ["user_id": 5, "items": [["product_id": 30, "quantity": 1]]])
                XCTAssertEqual(r.status, 201)
                lastSeq = Int64(r.json["seq"] as? Int ?? 0)
            }
            let caughtUp = await backend.shop.waitForReplicas(seq: lastSeq, timeout: 10)
            XCTAssertTrue(caughtUp)
            try await Task.sleep(nanoseconds: 5_000_000)
            observer.cancel()
            let seen = await observer.value
            for (i, values) in seen.enumerated() {
                XCTAssertFalse(values.isEmpty)
                for (a, b) in zip(values, values.dropFirst()) { XCTAssertLessThanOrEqual(b, a, "replica \(i) went back in time") }
                XCTAssertEqual(values.last, Int64(initial - orders))
            }
            // The replicas' ordered logs: applied positions are monotone and equal to the primary's.
            let primarySeq = try await backend.shop.primarySeq()
            XCTAssertTrue(backend.shop.replicas.allSatisfy { $0.appliedSeq == primarySeq })
        }
    }

    /// The cache is invalidated by writes: after an order, a cached product read is not stale
    /// once the replicas have applied the order.
    func testCacheInvalidatedOnWrite() async throws {
        try await withBackend("cache") { backend, client in
            let before = try await client.get("/products/40").json["stock"] as? Int ?? 0
            _ = try await client.get("/products/40")  // cached now
            let placed = try await client.post("/orders", ["user_id": 6, "items": [["product_id": 40, "quantity": 1]]])
            XCTAssertEqual(placed.status, 201)
            let caughtUp = await backend.shop.waitForReplicas(seq: Int64(placed.json["seq"] as? Int ?? 0), timeout: 10)
            XCTAssertTrue(caughtUp)
            let after = try await client.get("/products/40").json["stock"] as? Int
            XCTAssertEqual(after, before - 1)
        }
    }
}
