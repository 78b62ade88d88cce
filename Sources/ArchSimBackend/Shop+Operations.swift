// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import GRDB

/// The shop's operations, one per endpoint. Each validates its input, then reads (replica,
/// or primary when strong) or writes (primary, with the changes logged for the replicas).
extension Shop {
    public struct Session: Codable, Sendable {
        public var token: String
        public var userID: Int64
        enum CodingKeys: String, CodingKey { case token; case userID = "user_id" }
    }

    public struct CartItem: Codable, Sendable, Equatable {
        public var userID: Int64
        public var productID: Int64
        public var quantity: Int64
        enum CodingKeys: String, CodingKey { case quantity; case userID = "user_id"; case productID = "product_id" }
    }

    public struct OrderLine: Codable, Sendable, Equatable {
        public var productID: Int64
        public var quantity: Int64
        public var priceCents: Int64?
        public init(productID: Int64, quantity: Int64, priceCents: Int64? = nil) {
            self.productID = productID; self.quantity = quantity; self.priceCents = priceCents
        }
        enum CodingKeys: String, CodingKey { case quantity; case productID = "product_id"; case priceCents = "price_cents" }
    }

    public struct Order: Codable, Sendable, Equatable {
        public var id: Int64
        public var userID: Int64
        public var idempotencyKey: String?
        public var totalCents: Int64
        public var status: String
        public var items: [OrderLine]
        enum CodingKeys: String, CodingKey {
            case id, status, items
            case userID = "user_id", idempotencyKey = "idempotency_key", totalCents = "total_cents"
        }
    }

    public struct Payment: Codable, Sendable, Equatable {
        public var id: Int64
        public var orderID: Int64
        public var amountCents: Int64
        enum CodingKeys: String, CodingKey { case id; case orderID = "order_id"; case amountCents = "amount_cents" }
    }

    static func product(from row: Row) -> Catalogue.Product {
        Catalogue.Product(id: row["id"], name: row["name"], category: row["category"], priceCents: row["price_cents"], stock: row["stock"])
    }

    // MARK: Reads

    /// Product by id: cache-aside (get; on a miss read a replica and set), or straight from the
    /// primary when `strong` (not cached: the cache may lag the primary).
    public func product(id: Int64, strong: Bool = false) async throws -> Catalogue.Product {
        guard id > 0 else { throw ShopError.notFound("no product \(id)") }
        if !strong {
            let cached = RequestStages.time(.cacheGet) { cache.get(id) }
            RequestStages.current?.cacheHit = cached != nil
            if let cached { return cached }
        }
        let found = try await read(strong: strong) { db in
            try Row.fetchOne(db, sql: "SELECT id, name, category, price_cents, stock FROM products WHERE id = ?", arguments: [id])
                .map(Self.product(from:))
        }
        guard let found else { throw ShopError.notFound("no product \(id)") }
        if !strong { RequestStages.time(.cacheSet) { cache.set(found) } }
        return found
    }

    /// Products whose name starts with `prefix` (case-insensitive), by name, at most `limit`.
    /// An index range scan: O(log n + limit).
    public func search(prefix: String, limit: Int = 20) async throws -> [Catalogue.Product] {
        let q = prefix.lowercased()
        guard q.utf8.count <= 100 else { throw ShopError.badRequest("q: at most 100 bytes") }
        let n = min(max(1, limit), Self.maxSearchResults)
        return try await read { db in
            // [q, q + U+10FFFF) is every string starting with q.
            try Row.fetchAll(db, sql: "SELECT id, name, category, price_cents, stock FROM products WHERE name >= ? AND name < ? ORDER BY name LIMIT ?",
                             arguments: [q, q + "\u{10FFFF}", n]).map(Self.product(from:))
        }
    }

    public func order(id: Int64, strong: Bool = false) async throws -> Order {
        let found = try await read(strong: strong) { db in try Self.fetchOrder(id, db) }
        guard let found else { throw ShopError.notFound("no order \(id)") }
        return found
    }

    public func cart(userID: Int64, strong: Bool = false) async throws -> [CartItem] {
        try await read(strong: strong) { db in
            try Row.fetchAll(db, sql: "SELECT product_id, quantity FROM cart_items WHERE user_id = ? ORDER BY product_id", arguments: [userID])
                .map { CartItem(userID: userID, productID: $0["product_id"], quantity: $0["quantity"]) }
        }
    }

    static func fetchOrder(_ id: Int64, _ db: Database) throws -> Order? {
        guard let row = try Row.fetchOne(db, sql: "SELECT id, user_id, idempotency_key, total_cents, status FROM orders WHERE id = ?", arguments: [id])
        else { return nil }
        let items = try Row.fetchAll(db, sql: "SELECT product_id, quantity, price_cents FROM order_items WHERE order_id = ? ORDER BY product_id", arguments: [id])
            .map { OrderLine(productID: $0["product_id"], quantity: $0["quantity"], priceCents: $0["price_cents"]) }
        return Order(id: row["id"], userID: row["user_id"], idempotencyKey: row["idempotency_key"], totalCents: row["total_cents"],
                     status: row["status"], items: items)
    }

    // MARK: Writes

    /// Checks the password (a replica read: credentials do not change here) and opens a session
    /// (a primary write).
    public func login(email: String, password: String) async throws -> Session {
        guard email.utf8.count <= 200, password.utf8.count <= 200 else { throw ShopError.badRequest("email and password: at most 200 bytes") }
        let user = try await read { db -> (Int64, String)? in
            try Row.fetchOne(db, sql: "SELECT id, password_hash FROM users WHERE email = ?", arguments: [email])
                .map { ($0["id"], $0["password_hash"]) }
        }
        guard let (id, hash) = user, Catalogue.passwordHash(userID: Int(id), password: password) == hash
        else { throw ShopError.unauthorized("unknown email or wrong password") }
        let token = Self.newToken()
        let now = monotonicNanoseconds()
        _ = try await write { db in
            try db.execute(sql: "INSERT INTO sessions (token, user_id, created_ns) VALUES (?, ?, ?)", arguments: [token, id, now])
            return ((), [Change.session(token: token, userID: id, createdNs: now)])
        }
        return Session(token: token, userID: id)
    }

    static func newToken() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<2).map { _ in String(g.next() as UInt64, radix: 16) }.joined(separator: "-")
    }

    func checkUser(_ id: Int64, _ db: Database) throws {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE id = ?", arguments: [id]) == true else {
            throw ShopError.notFound("no user \(id)")
        }
    }

    /// Adds `quantity` of a product to a user's cart (a primary write: the product must exist).
    public func addToCart(userID: Int64, productID: Int64, quantity: Int64) async throws -> CartItem {
        guard (1...Self.maxQuantity).contains(quantity) else {
            throw ShopError.badRequest("quantity: expected 1...\(Self.maxQuantity), got \(quantity)")
        }
        let (item, _) = try await write { db in
            try self.checkUser(userID, db)
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM products WHERE id = ?", arguments: [productID]) == true else {
                throw ShopError.notFound("no product \(productID)")
            }
            let had = try Int64.fetchOne(db, sql: "SELECT quantity FROM cart_items WHERE user_id = ? AND product_id = ?",
                                         arguments: [userID, productID]) ?? 0
            let total = min(had + quantity, Self.maxQuantity)
            try db.execute(sql: "INSERT OR REPLACE INTO cart_items (user_id, product_id, quantity) VALUES (?, ?, ?)",
                           arguments: [userID, productID, total])
            let item = CartItem(userID: userID, productID: productID, quantity: total)
            return (item, [Change.cartItem(userID: userID, productID: productID, quantity: total)])
        }
        return item
    }

    /// The outcome of placing an order: the order, whether it was already placed under the same
    /// idempotency key (a retry), and the log position it reached.
    public struct PlacedOrder: Sendable {
        public var order: Order
        public var duplicate: Bool
        public var seq: Int64
    }

    /// Places an order for `lines` (or, when nil, the user's cart) in one primary transaction:
    /// checks and decrements stock (all lines or none), records the order and its lines, empties
    /// the cart. SQLite's single writer serialises orders, so stock never goes negative; a
    /// repeated `idempotencyKey` returns the first order instead of placing another.
    public func placeOrder(userID: Int64, lines: [OrderLine]?, idempotencyKey: String?) async throws -> PlacedOrder {
        let wanted = try Self.validatedLines(lines, idempotencyKey: idempotencyKey)
        let now = monotonicNanoseconds()
        let ((order, duplicate), seq) = try await write { db -> ((Order, Bool), [Change]) in
            if let key = idempotencyKey,
               let id = try Int64.fetchOne(db, sql: "SELECT id FROM orders WHERE idempotency_key = ?", arguments: [key]) {
                guard let existing = try Self.fetchOrder(id, db), existing.userID == userID else {
                    throw ShopError.conflict("idempotency_key already used by another user")
                }
                return ((existing, true), [])
            }
            try self.checkUser(userID, db)
            var quantities: [(Int64, Int64)]
            let fromCart = wanted == nil
            if let wanted {
                quantities = wanted
            } else {
                quantities = try Row.fetchAll(db, sql: "SELECT product_id, quantity FROM cart_items WHERE user_id = ? ORDER BY product_id",
                                              arguments: [userID]).map { ($0["product_id"], $0["quantity"]) }
                guard !quantities.isEmpty else { throw ShopError.unprocessable("the cart of user \(userID) is empty") }
            }
            var changes: [Change] = []
            var lines: [Change.OrderLine] = []
            var total: Int64 = 0
            for (product, quantity) in quantities {
                guard let row = try Row.fetchOne(db, sql: "SELECT stock, price_cents FROM products WHERE id = ?", arguments: [product]) else {
                    throw ShopError.notFound("no product \(product)")
                }
                let stock: Int64 = row["stock"], price: Int64 = row["price_cents"]
                guard stock >= quantity else { throw ShopError.insufficientStock(product: product, available: stock, requested: quantity) }
                try db.execute(sql: "UPDATE products SET stock = ? WHERE id = ?", arguments: [stock - quantity, product])
                changes.append(.stock(productID: product, stock: stock - quantity))
                lines.append(.init(productID: product, quantity: quantity, priceCents: price))
                total += price * quantity
            }
            try db.execute(sql: "INSERT INTO orders (user_id, idempotency_key, total_cents, status, created_ns) VALUES (?, ?, ?, 'placed', ?)",
                           arguments: [userID, idempotencyKey, total, now])
            let id = db.lastInsertedRowID
            for line in lines {
                try db.execute(sql: "INSERT INTO order_items (order_id, product_id, quantity, price_cents) VALUES (?, ?, ?, ?)",
                               arguments: [id, line.productID, line.quantity, line.priceCents])
            }
            changes.append(.order(id: id, userID: userID, idempotencyKey: idempotencyKey, totalCents: total, status: "placed",
                                  createdNs: now, items: lines))
            if fromCart {
                try db.execute(sql: "DELETE FROM cart_items WHERE user_id = ?", arguments: [userID])
                changes.append(.cartCleared(userID: userID))
            }
            let order = Order(id: id, userID: userID, idempotencyKey: idempotencyKey, totalCents: total, status: "placed",
                              items: lines.map { OrderLine(productID: $0.productID, quantity: $0.quantity, priceCents: $0.priceCents) })
            return ((order, false), changes)
        }
        if !duplicate {
            RequestStages.time(.cacheDelete) { for line in order.items { cache.delete(line.productID) } }
        }
        return PlacedOrder(order: order, duplicate: duplicate, seq: seq)
    }

    /// An order's lines checked (an idempotency key of 1 to 100 bytes; 1 to `maxLines` lines;
    /// quantities 1...`maxQuantity`, also per product once merged) and merged by product, in
    /// product order; nil when the order is the cart's.
    static func validatedLines(_ lines: [OrderLine]?, idempotencyKey: String?) throws -> [(Int64, Int64)]? {
        if let key = idempotencyKey, key.isEmpty || key.utf8.count > 100 {
            throw ShopError.badRequest("idempotency_key: 1 to 100 bytes")
        }
        guard let lines else { return nil }
        guard !lines.isEmpty, lines.count <= maxLines else { throw ShopError.badRequest("items: 1 to \(maxLines) lines") }
        var merged: [Int64: Int64] = [:]
        for line in lines {
            guard (1...maxQuantity).contains(line.quantity) else {
                throw ShopError.badRequest("quantity of product \(line.productID): expected 1...\(maxQuantity), got \(line.quantity)")
            }
            merged[line.productID, default: 0] += line.quantity
        }
        guard merged.values.allSatisfy({ $0 <= maxQuantity }) else { throw ShopError.badRequest("quantity: at most \(maxQuantity) per product") }
        return merged.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Pays an order once (a primary transaction): the amount, when given, must be its total.
    public func pay(orderID: Int64, amountCents: Int64?) async throws -> Payment {
        let now = monotonicNanoseconds()
        let (payment, _) = try await write { db -> (Payment, [Change]) in
            guard let row = try Row.fetchOne(db, sql: "SELECT total_cents, status FROM orders WHERE id = ?", arguments: [orderID]) else {
                throw ShopError.notFound("no order \(orderID)")
            }
            let total: Int64 = row["total_cents"], status: String = row["status"]
            guard status == "placed" else { throw ShopError.conflict("order \(orderID) is already \(status)") }
            if let amountCents, amountCents != total {
                throw ShopError.unprocessable("amount_cents \(amountCents) is not the order's total \(total)")
            }
            try db.execute(sql: "INSERT INTO payments (order_id, amount_cents, created_ns) VALUES (?, ?, ?)", arguments: [orderID, total, now])
            let id = db.lastInsertedRowID
            try db.execute(sql: "UPDATE orders SET status = 'paid' WHERE id = ?", arguments: [orderID])
            return (Payment(id: id, orderID: orderID, amountCents: total),
                    [.payment(id: id, orderID: orderID, amountCents: total, createdNs: now), .orderStatus(id: orderID, status: "paid")])
        }
        return payment
    }
}

