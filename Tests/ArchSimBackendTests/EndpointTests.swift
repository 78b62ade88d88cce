// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import Foundation
import XCTest

/// Every endpoint over real HTTP on loopback, the good requests and the bad ones: a bad
/// request gets a 4xx with a JSON error, never a 5xx.
final class EndpointTests: XCTestCase {
    func testHealth() async throws {
        try await withBackend("health") { backend, client in
            XCTAssertNotEqual(backend.port, 0)
            let r = try await client.get("/health")
            XCTAssertEqual(r.status, 200)
            XCTAssertEqual(r.json["status"] as? String, "ok")
            XCTAssertNotNil(r.headers["x-server-time-ns"] ?? r.headers["X-Server-Time-Ns"])
        }
    }

    func testLogin() async throws {
        try await withBackend("login") { _, client in
            let ok = try await client.post("/login", ["email": Catalogue.email(ofUser: 17), "password": Catalogue.password(ofUser: 17)])
            XCTAssertEqual(ok.status, 200)
            XCTAssertEqual(ok.json["user_id"] as? Int, 17)
            XCTAssertFalse((ok.json["token"] as? String ?? "").isEmpty)
            let wrong = try await client.post("/login", ["email": Catalogue.email(ofUser: 17), "password": "nope"])
            XCTAssertEqual(wrong.status, 401)
            XCTAssertEqual(wrong.error["code"] as? String, "unauthorized")
            let unknown = try await client.post("/login", ["email": "nobody@example.com", "password": "x"])
            XCTAssertEqual(unknown.status, 401)
            let missing = try await client.post("/login", ["email": "a@b.c"])
            XCTAssertEqual(missing.status, 400)
        }
    }

    func testProducts() async throws {
        try await withBackend("products") { _, client in
            let expected = Catalogue.product(5, seed: CatalogueSpec.small.seed)
            let first = try await client.get("/products/5")
            XCTAssertEqual(first.status, 200)
            XCTAssertEqual(first.json["name"] as? String, expected.name)
            XCTAssertEqual(first.json["price_cents"] as? Int, Int(expected.priceCents))
            let again = try await client.get("/products/5")
            XCTAssertEqual(again.body, first.body)
            let strong = try await client.get("/products/5?consistency=strong")
            XCTAssertEqual(strong.status, 200)
            let cache = try await client.get("/cache")
            XCTAssertEqual(cache.json["hits"] as? Int, 1, "the second read is a cache hit")

            let prefix = String(expected.name.split(separator: " ")[0])
            let search = try await client.get("/products?q=\(prefix)&limit=10")
            XCTAssertEqual(search.status, 200)
            let products = search.json["products"] as? [[String: Any]] ?? []
            XCTAssertEqual(products.count, 10)
            XCTAssertTrue(products.allSatisfy { ($0["name"] as? String ?? "").hasPrefix(prefix) })
            let names = products.compactMap { $0["name"] as? String }
            XCTAssertEqual(names, names.sorted())
            let none = try await client.get("/products?q=zzzz")
            XCTAssertEqual((none.json["products"] as? [Any])?.count, 0)

            for (path, status) in [("/products/999999999", 404), ("/products/0", 404), ("/products/-3", 404),
                                   ("/products/abc", 404), ("/products?limit=0", 400), ("/products?limit=x", 400),
                                   ("/nowhere", 404)] {
                let r = try await client.get(path)
                XCTAssertEqual(r.status, status, path)
                XCTAssertNotNil(r.error["message"], "\(path) answers a JSON error")
            }
        }
    }

    func testCartOrderPayment() async throws {
        try await withBackend("orders") { _, client in
            let add = try await client.post("/cart/items", ["user_id": 3, "product_id": 10, "quantity": 2])
            XCTAssertEqual(add.status, 201)
            XCTAssertEqual(add.json["quantity"] as? Int, 2)
            let more = try await client.post("/cart/items", ["user_id": 3, "product_id": 10, "quantity": 1])
            XCTAssertEqual(more.json["quantity"] as? Int, 3)
            let cart = try await client.get("/cart?user_id=3&consistency=strong")
            XCTAssertEqual(cart.status, 200)

            // From the cart.
            let stockBefore = try await client.get("/products/10?consistency=strong").json["stock"] as? Int ?? -1
            XCTAssertGreaterThanOrEqual(stockBefore, 3)
            let placed = try await client.post("/orders", ["user_id": 3])
            XCTAssertEqual(placed.status, 201)
            let order = placed.json["order"] as? [String: Any] ?? [:]
            let orderID = order["id"] as? Int ?? 0
            XCTAssertEqual(order["status"] as? String, "placed")
            let stockAfter = try await client.get("/products/10?consistency=strong").json["stock"] as? Int
            XCTAssertEqual(stockAfter, stockBefore - 3)
            let emptyCart = try await client.post("/orders", ["user_id": 3])
            XCTAssertEqual(emptyCart.status, 422)

            // Explicit lines, idempotent retry.
            let body: [String: Any] = ["user_id": 4, "items": [["product_id": 11, "quantity": 1]], "idempotency_key": "k-1"]
            let a = try await client.post("/orders", body)
            let b = try await client.post("/orders", body)
            XCTAssertEqual(a.status, 201)
            XCTAssertEqual(b.status, 200)
            XCTAssertEqual(b.json["duplicate"] as? Bool, true)
            XCTAssertEqual((a.json["order"] as? [String: Any])?["id"] as? Int, (b.json["order"] as? [String: Any])?["id"] as? Int)

            let read = try await client.get("/orders/\(orderID)?consistency=strong")
            XCTAssertEqual(read.status, 200)
            XCTAssertEqual((read.json["items"] as? [Any])?.count, 1)

            let total = order["total_cents"] as? Int ?? 0
            let wrongAmount = try await client.post("/payments", ["order_id": orderID, "amount_cents": total + 1])
            XCTAssertEqual(wrongAmount.status, 422)
            let paid = try await client.post("/payments", ["order_id": orderID, "amount_cents": total])
            XCTAssertEqual(paid.status, 201)
            XCTAssertEqual(paid.json["amount_cents"] as? Int, total)
            let twice = try await client.post("/payments", ["order_id": orderID])
            XCTAssertEqual(twice.status, 409)
            let noOrder = try await client.post("/payments", ["order_id": 987654])
            XCTAssertEqual(noOrder.status, 404)
            let status = try await client.get("/orders/\(orderID)?consistency=strong")
            XCTAssertEqual(status.json["status"] as? String, "paid")
        }
    }

    func testInsufficientStockFailsCleanly() async throws {
        try await withBackend("stock") { _, client in
            let product = try await client.get("/products/12?consistency=strong").json
            let stock = product["stock"] as? Int ?? 0
            let tooMany = try await client.post("/orders", ["user_id": 1, "items": [["product_id": 13, "quantity": 1],
                                                                                   ["product_id": 12, "quantity": min(stock + 1, 1000)]]])
            if stock < 1000 {
                XCTAssertEqual(tooMany.status, 409)
                XCTAssertEqual(tooMany.error["code"] as? String, "insufficient_stock")
                // All or nothing: the other line's stock is untouched.
                let other = try await client.get("/products/13?consistency=strong").json["stock"] as? Int
                XCTAssertEqual(other, Int(Catalogue.product(13, seed: CatalogueSpec.small.seed).stock))
            }
        }
    }

    func testBadRequestsGet4xxJSON() async throws {
        try await withBackend("bad") { _, client in
            var cases: [(String, String, String?, Int)] = [
                ("POST", "/orders", "{not json", 400),
                ("POST", "/orders", "", 400),
                ("POST", "/orders", "[]", 400),
                ("POST", "/orders", #"{"user_id": "three"}"#, 400),
                ("POST", "/orders", #"{"user_id": 1, "items": [{"product_id": 5, "quantity": -1}]}"#, 400),
                ("POST", "/orders", #"{"user_id": 1, "items": [{"product_id": 5, "quantity": 0}]}"#, 400),
                ("POST", "/orders", #"{"user_id": 1, "items": [{"product_id": 5, "quantity": 1000000000}]}"#, 400),
                ("POST", "/orders", #"{"user_id": 1, "items": [{"product_id": 5, "quantity": 99999999999999999999999}]}"#, 400),
                ("POST", "/orders", #"{"user_id": 1, "items": [{"product_id": 424242, "quantity": 1}]}"#, 404),
                ("POST", "/orders", #"{"user_id": 99999999, "items": [{"product_id": 5, "quantity": 1}]}"#, 404),
                ("POST", "/orders", #"{"user_id": 1, "items": []}"#, 400),
                ("POST", "/cart/items", #"{"user_id": 1, "product_id": 424242, "quantity": 1}"#, 404),
                ("POST", "/cart/items", #"{"user_id": 1, "product_id": 5, "quantity": -5}"#, 400),
                ("POST", "/cart/items", #"{"user_id": 1, "product_id": 5, "quantity": 1e30}"#, 400),
                ("POST", "/cart/items", #"{"user_id": 1, "product_id": 5}"#, 400),
                ("POST", "/payments", #"{"order_id": null}"#, 400),
                ("POST", "/login", "\u{0}\u{1}", 400),
                ("DELETE", "/products/5", nil, 405),
                ("PUT", "/orders", "{}", 405),
                ("GET", "/orders", nil, 405),
                ("GET", "/payments", nil, 405),
                ("POST", "/health", "{}", 405),
                ("GET", "/orders/77777", nil, 404),
                ("GET", "/cart", nil, 400),
            ]
            cases.append(("POST", "/orders", "{\"user_id\": 1, \"pad\": \"" + String(repeating: "x", count: 20_000) + "\"}", 413))
            for (method, path, body, status) in cases {
                let r = try await client.send(method, path, body: body.map { Data($0.utf8) })
                XCTAssertEqual(r.status, status, "\(method) \(path) \(body?.prefix(60) ?? "")")
                XCTAssertEqual(r.error["status"] as? Int, status, "\(method) \(path): JSON error body")
            }
            // Still healthy after all that.
            let health = try await client.get("/health")
            XCTAssertEqual(health.status, 200)
        }
    }
}
