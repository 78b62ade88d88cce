// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import Foundation
import GRDB
import XCTest

/// Orders under concurrency: no overselling, no lost or duplicated order, and every
/// acknowledged order is in the primary after a restart.
final class ConcurrencyTests: XCTestCase {
    func testConcurrentOrdersNeverOversell() async throws {
        try await withBackend("oversell") { backend, client in
            // A product with little stock.
            try await backend.shop.primary.write { db in try db.execute(sql: "UPDATE products SET stock = 7 WHERE id = 50") }
            let attempts = 40
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<attempts {
                    group.addTask {
                        try await client.post("/orders", ["user_id": 100 + i, "items": [["product_id": 50, "quantity": 1]]]).status
                    }
                }
                var all: [Int] = []
                for try await s in group { all.append(s) }
                return all
            }
            XCTAssertEqual(statuses.filter { $0 == 201 }.count, 7, "exactly the stock is sold")
            XCTAssertEqual(statuses.filter { $0 == 409 }.count, attempts - 7, "the rest fail cleanly: \(statuses)")
            let (stock, sold) = try await backend.shop.primary.read { db in
                (try Int64.fetchOne(db, sql: "SELECT stock FROM products WHERE id = 50"),
                 try Int64.fetchOne(db, sql: "SELECT SUM(quantity) FROM order_items WHERE product_id = 50"))
            }
            XCTAssertEqual(stock, 0)
            XCTAssertEqual(sold, 7)
        }
    }

    func testConcurrentRetriesWithOneKeyPlaceOneOrder() async throws {
        try await withBackend("idempotent") { backend, client in
            let ids = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        let r = try await client.post("/orders", ["user_id": 9, "idempotency_key": "retry-me",
                                                                  "items": [["product_id": 60, "quantity": 2]]])
                        return (r.json["order"] as? [String: Any])?["id"] as? Int ?? -1
                    }
                }
                var all: [Int] = []
                for try await id in group { all.append(id) }
                return all
            }
            XCTAssertEqual(Set(ids).count, 1, "\(ids)")
            let count = try await backend.shop.primary.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM orders WHERE idempotency_key = 'retry-me'")
            }
            XCTAssertEqual(count, 1)
        }
    }

    /// Acknowledged orders survive a restart of the backend (WAL, synchronous commit), none
    /// lost and none duplicated; the catalogue is not created again.
    func testAcknowledgedOrdersSurviveRestart() async throws {
        let dir = temporaryDirectory("durable")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = testConfiguration(dir)
        config.synchronous = .full
        let first = try await Backend.start(config)
        XCTAssertNotNil(first.shop.catalogueCreationSeconds)
        let client = Client(base: first.baseURL)
        let acknowledged = try await withThrowingTaskGroup(of: Int?.self) { group in
            for i in 0..<30 {
                group.addTask {
                    let r = try await client.post("/orders", ["user_id": 200 + i, "idempotency_key": "d-\(i)",
                                                              "items": [["product_id": 70 + i % 5, "quantity": 1]]])
                    return r.status == 201 ? (r.json["order"] as? [String: Any])?["id"] as? Int : nil
                }
            }
            var ids: [Int] = []
            for try await id in group { if let id { ids.append(id) } }
            return ids
        }
        XCTAssertFalse(acknowledged.isEmpty)
        try await first.stop()

        let second = try await Backend.start(config)
        XCTAssertNil(second.shop.catalogueCreationSeconds, "the catalogue is reused")
        let stored = try await second.shop.primary.read { db in
            try Int.fetchAll(db, sql: "SELECT id FROM orders WHERE idempotency_key LIKE 'd-%' ORDER BY id")
        }
        XCTAssertEqual(stored, acknowledged.sorted())
        // Replicas resume from their positions and catch up.
        let seq = try await second.shop.primarySeq()
        let caughtUp = await second.shop.waitForReplicas(seq: seq, timeout: 10)
        XCTAssertTrue(caughtUp)
        try await second.stop()
    }

    func testCatalogueIsDeterministic() throws {
        let a = (1...50).map { Catalogue.product($0, seed: 7) }
        let b = (1...50).map { Catalogue.product($0, seed: 7) }
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, (1...50).map { Catalogue.product($0, seed: 8) })
        XCTAssertEqual(Catalogue.product(1, seed: 42).name, Catalogue.product(1, seed: 42).name)
    }
}
