// SPDX-License-Identifier: GPL-3.0-or-later
import GRDB

/// The seeded catalogue: products and users derived from (seed, id) alone, so the same spec
/// gives the same rows whatever order they are made in.
///
/// Product `i` (1-based): a lower-case name `"<adjective> <noun> <i>"` (searchable by prefix),
/// a category, a price of 1.00–999.99 and a stock of 0–999 (about 2% are out of stock). User `i`:
/// `user<i>@example.com`, password `pw-<i>`.
public enum Catalogue {
    public static let adjectives = ["red", "blue", "green", "black", "white", "silver", "golden", "wooden", "steel", "cotton",
                             "leather", "classic", "modern", "compact", "deluxe", "vintage", "smart", "eco", "mini", "pro"]
    public static let nouns = ["chair", "lamp", "table", "phone", "watch", "shirt", "shoe", "bag", "mug", "book",
                        "camera", "desk", "pen", "kettle", "clock", "guitar", "bottle", "jacket", "scarf", "radio"]
    static let categories = ["home", "office", "fashion", "electronics", "kitchen", "music", "outdoor", "books"]

    /// One row of `products`.
    public struct Product: Codable, Sendable, Equatable {
        public var id: Int64
        public var name: String
        public var category: String
        public var priceCents: Int64
        public var stock: Int64
        enum CodingKeys: String, CodingKey {
            case id, name, category, stock
            case priceCents = "price_cents"
        }
    }

    /// SplitMix64 of (seed, stream, id): a stateless draw, so a row does not depend on others.
    @inline(__always) static func draw(_ seed: UInt64, _ stream: UInt64, _ id: Int) -> UInt64 {
        var z = seed &+ stream &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(id) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Product `id` (1-based) of the catalogue seeded with `seed`. O(1).
    public static func product(_ id: Int, seed: UInt64) -> Product {
        let a = draw(seed, 1, id), b = draw(seed, 2, id), c = draw(seed, 3, id)
        let name = "\(adjectives[Int(a % 20)]) \(nouns[Int((a >> 8) % 20)]) \(id)"
        let stock = b % 50 == 0 ? 0 : Int64((b >> 16) % 1000)
        return Product(id: Int64(id), name: name, category: categories[Int((a >> 16) % 8)],
                       priceCents: 100 + Int64(c % 99_900), stock: stock)
    }

    public static func email(ofUser id: Int) -> String { "user\(id)@example.com" }
    public static func password(ofUser id: Int) -> String { "pw-\(id)" }

    /// The stored hash of a password: salted FNV-1a, hex. Deterministic and cheap, so creating a
    /// million users stays fast; a real shop would use a slow KDF here (and the simulated
    /// `login` would then be CPU-heavy).
    public static func passwordHash(userID: Int, password: String) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(userID)
        for byte in "archsim:\(userID):\(password)".utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return String(h, radix: 16)
    }

    /// Creates the schema and inserts the whole catalogue in one transaction with prepared
    /// statements, then builds the indexes. O(products + users); a few seconds for 100,000
    /// products and 1,000,000 users.
    static func create(in db: Database, spec: CatalogueSpec) throws {
        try db.execute(sql: Schema.tables)
        let insertProduct = try db.makeStatement(sql: "INSERT INTO products (id, name, category, price_cents, stock) VALUES (?, ?, ?, ?, ?)")
        for id in 1...max(1, spec.products) where spec.products > 0 {
            let p = product(id, seed: spec.seed)
            try insertProduct.execute(arguments: [p.id, p.name, p.category, p.priceCents, p.stock])
        }
        let insertUser = try db.makeStatement(sql: "INSERT INTO users (id, email, password_hash) VALUES (?, ?, ?)")
        for id in 1...max(1, spec.users) where spec.users > 0 {
            try insertUser.execute(arguments: [id, email(ofUser: id), passwordHash(userID: id, password: password(ofUser: id))])
        }
        try db.execute(sql: Schema.indexes)
        try db.execute(sql: "INSERT OR REPLACE INTO catalogue_info (id, products, users, seed) VALUES (1, ?, ?, ?)",
                       arguments: [spec.products, spec.users, Int64(bitPattern: spec.seed)])
    }
}
