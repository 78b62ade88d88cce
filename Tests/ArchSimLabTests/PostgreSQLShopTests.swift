// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import ArchSimLab
import Foundation
import XCTest

/// The shop over a real PostgreSQL server: the same answers as over SQLite for the same
/// catalogue, stock that never goes negative under concurrent orders (row locks), one order per
/// idempotency key however many requests race, and a Redis cache that is invalidated by orders.
final class PostgreSQLShopTests: XCTestCase {
    static let catalogue = CatalogueSpec(products: 500, users: 200, seed: 7)
    /// A product in stock at or after `id`.
    static func inStock(from id: Int) -> Int64 { Int64((id...).first { Catalogue.product($0, seed: catalogue.seed).stock > 0 }!) }

    func withShop(cache: PostgreSQLShop.Configuration.Cache = .none, redis: Bool = false,
                  _ body: (PostgreSQLShop, PostgreSQLServer, RedisServer?) async throws -> Void) async throws {
        let dir = NSTemporaryDirectory() + "archsim-pgshop-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let lab = try Lab(directory: dir)
        defer { lab.down(); try? FileManager.default.removeItem(atPath: dir) }
        let server = try await lab.startPostgreSQL(name: "primary", settings: PostgreSQLSettings())
        var redisServer: RedisServer?
        var choice = cache
        if redis {
            let r = try await lab.startRedis(name: "redis", settings: RedisSettings())
            redisServer = r
            choice = .redis(RedisAddress(host: "127.0.0.1", port: r.port))
        }
        let shop = try await PostgreSQLShop.open(.init(primary: PostgreSQLAddress(host: "127.0.0.1", port: server.port, user: PostgreSQLServer.role),
                                                       connections: 8, catalogue: Self.catalogue, cache: choice, cacheTTL: 30))
        XCTAssertNotNil(shop.catalogueCreationSeconds, "a new server: the catalogue was created")
        do { try await body(shop, server, redisServer) } catch { try? await shop.close(); throw error }
        try await shop.close()
    }

    func testAnswersAsTheSQLiteShopDoes() async throws {
        let dir = NSTemporaryDirectory() + "archsim-pgshop-sqlite-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sqlite = try Shop(configuration: BackendConfiguration(directory: dir, replicas: 0, catalogue: Self.catalogue))
        do { try await compare(sqlite) } catch { try? await sqlite.close(); throw error }
        try await sqlite.close()
    }

    func compare(_ sqlite: Shop) async throws {
        try await withShop { pg, _, _ in
            for id: Int64 in [1, 2, 250, 500] {
                let a = try await pg.product(id: id, strong: false), b = try await sqlite.product(id: id, strong: false)
                XCTAssertEqual(a, b)
            }
            for prefix in ["red", "blue c", "zz", ""] {
                let a = try await pg.search(prefix: prefix, limit: 20), b = try await sqlite.search(prefix: prefix, limit: 20)
                XCTAssertEqual(a, b, "search \(prefix)")
            }
            let session = try await pg.login(email: Catalogue.email(ofUser: 5), password: Catalogue.password(ofUser: 5))
            XCTAssertEqual(session.userID, 5)
            do { _ = try await pg.login(email: Catalogue.email(ofUser: 5), password: "wrong"); XCTFail("a wrong password logs in") }
            catch let e as ShopError { XCTAssertEqual(e.status, 401) }
            _ = try await pg.addToCart(userID: 3, productID: 10, quantity: 2)
            let cart = try await pg.addToCart(userID: 3, productID: 10, quantity: 999)
            XCTAssertEqual(cart.quantity, Shop.maxQuantity, "a cart line is capped as over SQLite")
            do { _ = try await pg.product(id: 501, strong: false); XCTFail("product 501 exists") }
            catch let e as ShopError { XCTAssertEqual(e.status, 404) }
        }
    }

    func testConcurrentOrdersNeverOversellAndOneKeyPlacesOneOrder() async throws {
        try await withShop { shop, server, _ in
            let c = try await server.connect()
            try await c.query("UPDATE products SET stock = 10 WHERE id = 42", logger: .init(label: "t"))
            try await c.close()
            let outcomes = try await withThrowingTaskGroup(of: Int.self) { group in
                for user in 1...30 {
                    group.addTask {
                        do {
                            _ = try await shop.placeOrder(userID: Int64(user), lines: [.init(productID: 42, quantity: 1)], idempotencyKey: nil)
                            return 201
                        } catch let e as ShopError { return e.status }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            XCTAssertEqual(outcomes.filter { $0 == 201 }.count, 10, "ten units, ten orders")
            XCTAssertEqual(outcomes.filter { $0 == 409 }.count, 20, "the rest: insufficient stock")
            let left = try await shop.product(id: 42, strong: true).stock
            XCTAssertEqual(left, 0)

            let ids = try await withThrowingTaskGroup(of: (Int64, Bool).self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        let placed = try await shop.placeOrder(userID: 3, lines: [.init(productID: Self.inStock(from: 43), quantity: 1)], idempotencyKey: "once")
                        return (placed.order.id, placed.duplicate)
                    }
                }
                return try await group.reduce(into: [(Int64, Bool)]()) { $0.append($1) }
            }
            XCTAssertEqual(Set(ids.map(\.0)).count, 1, "one order for one key: \(ids)")
            XCTAssertEqual(ids.filter { !$0.1 }.count, 1, "placed once, the others are duplicates")
            // The last unit: retries of one order must find it, not be refused for the stock it took.
            let last = Self.inStock(from: 60)
            let c2 = try await server.connect()
            try await c2.query("UPDATE products SET stock = 1 WHERE id = \(last)", logger: .init(label: "t"))
            try await c2.close()
            let retries = try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await shop.placeOrder(userID: 4, lines: [.init(productID: last, quantity: 1)], idempotencyKey: "last-one").order.id }
                }
                return try await group.reduce(into: [Int64]()) { $0.append($1) }
            }
            XCTAssertEqual(Set(retries).count, 1, "every retry answered with the one order: \(retries)")

            let paid = try await shop.pay(orderID: ids[0].0, amountCents: nil)
            let order = try await shop.order(id: ids[0].0, strong: true)
            XCTAssertEqual(order.status, "paid")
            do { _ = try await shop.pay(orderID: ids[0].0, amountCents: paid.amountCents); XCTFail("paid twice") }
            catch let e as ShopError { XCTAssertEqual(e.status, 409) }
        }
    }

    func testRedisCacheHitsAndIsInvalidatedByAnOrder() async throws {
        try await withShop(redis: true) { shop, _, redis in
            let id = Self.inStock(from: 77), key = "product:\(id)"
            let first = try await shop.product(id: id, strong: false)
            _ = try await shop.product(id: id, strong: false)
            let port = try XCTUnwrap(redis).port
            let held = try await RedisClient.withConnection(port: port) { try await $0.get(key) }
            XCTAssertNotNil(held, "the product is in Redis")
            let ttl = try await RedisClient.withConnection(port: port) { try await $0.command(["PTTL", key]) }
            guard case .integer(let ms) = ttl else { return XCTFail("PTTL: \(ttl)") }
            XCTAssertTrue((1...30_000).contains(ms), "set with the TTL: \(ms) ms left")
            _ = try await shop.placeOrder(userID: 1, lines: [.init(productID: id, quantity: 1)], idempotencyKey: nil)
            let gone = try await RedisClient.withConnection(port: port) { try await $0.get(key) }
            XCTAssertNil(gone, "the order deleted the cached product")
            let after = try await shop.product(id: id, strong: false)
            XCTAssertEqual(after.stock, first.stock - 1)
            let status = try await shop.cacheStatus() as? PostgreSQLShop.CacheStatus
            XCTAssertEqual(status?.gets, 3)
            XCTAssertEqual(status?.hits, 1)
            XCTAssertEqual(status?.errors, 0)

            // Redis drops the backend's connection: reads carry on from PostgreSQL, and the
            // backend connects again (at most once a second) and hits again.
            _ = try await RedisClient.withConnection(port: port) { try await $0.command(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]) }
            try await Task.sleep(for: .milliseconds(100))
            for _ in 0..<3 { _ = try await shop.product(id: id, strong: false) }
            try await Task.sleep(for: .milliseconds(1_100))
            for _ in 0..<3 { _ = try await shop.product(id: id, strong: false) }
            let again = try await shop.cacheStatus() as? PostgreSQLShop.CacheStatus
            XCTAssertEqual(again?.gets, 9)
            XCTAssertGreaterThanOrEqual(again?.hits ?? 0, 3, "hits again after reconnecting: \(String(describing: again))")
        }
    }
}
