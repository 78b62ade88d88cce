// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimModel
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Where a PostgreSQL server is: `postgres://USER[:PASSWORD]@HOST[:PORT][/DATABASE]` (port 5432,
/// database `postgres` when left out). TLS is not used: the lab's servers are on loopback.
public struct PostgreSQLAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String

    public init(host: String, port: Int, user: String, password: String? = nil, database: String = "postgres") {
        self.host = host; self.port = port; self.user = user; self.password = password; self.database = database
    }

    /// Parses a `postgres://` (or `postgresql://`) URL; the error says what is wrong with it.
    public init(parsing text: String) throws {
        guard let u = URLComponents(string: text), ["postgres", "postgresql"].contains(u.scheme ?? ""),
              let host = u.host, !host.isEmpty else {
            throw BackendSetupError(message: "\(text): expected postgres://USER@HOST:PORT/DATABASE")
        }
        guard let user = u.user, !user.isEmpty else { throw BackendSetupError(message: "\(text): the URL names no user (postgres://USER@HOST…)") }
        let path = u.path.hasPrefix("/") ? String(u.path.dropFirst()) : u.path
        self.init(host: host, port: u.port ?? 5432, user: user, password: u.password, database: path.isEmpty ? "postgres" : path)
    }

    /// The URL without the password.
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }
}

/// Where a Redis server is: `redis://HOST[:PORT]` (port 6379 when left out).
public struct RedisAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) { self.host = host; self.port = port }

    public init(parsing text: String) throws {
        guard let u = URLComponents(string: text), u.scheme == "redis", let host = u.host, !host.isEmpty,
              u.path.isEmpty || u.path == "/" else {
            throw BackendSetupError(message: "\(text): expected redis://HOST:PORT")
        }
        self.init(host: host, port: u.port ?? 6379)
    }

    public var description: String { "redis://\(host):\(port)" }
}

/// The shop over PostgreSQL: every write, and every strong read, on the primary; other reads
/// on the streaming replicas, round robin (the primary when there are none); products through
/// a cache-aside cache, invalidated after each order commits and expiring after a TTL.
///
/// Orders lock the rows of their products (`SELECT … FOR UPDATE`, in product order, so two
/// orders never wait on each other in a cycle): stock never goes negative, and concurrent
/// orders of one product queue on its row lock, as the simulator's `lock: row` models. A
/// repeated idempotency key returns the first order: requests with one key queue on an advisory
/// lock of the key, and a unique index on it stays the last word. A cart's checkout and changes
/// to it queue on the user's row lock.
///
/// A replica may lag: a product read from one just after an order can be older than the
/// primary, and set into the cache after the order's invalidation; the TTL bounds how long
/// such a copy lives. Strong reads (`?consistency=strong`) skip the cache and the replicas.
public final class PostgreSQLShop: ShopOperations, @unchecked Sendable {
    public struct Configuration: Sendable {
        public var primary: PostgreSQLAddress
        public var replicas: [PostgreSQLAddress]
        /// Connections each server's pool opens at most (each is a PostgreSQL backend process).
        public var connections: Int
        public var catalogue: CatalogueSpec
        public var cache: Cache
        /// Cached products expire this long after they were set (s); nil = never.
        public var cacheTTL: Double?

        public enum Cache: Sendable, Equatable {
            case none
            case inProcess(capacity: Int, eviction: EvictionPolicy)
            case redis(RedisAddress)
        }

        public init(primary: PostgreSQLAddress, replicas: [PostgreSQLAddress] = [], connections: Int = 10,
                    catalogue: CatalogueSpec = CatalogueSpec(), cache: Cache = .none, cacheTTL: Double? = nil) {
            self.primary = primary; self.replicas = replicas; self.connections = connections
            self.catalogue = catalogue; self.cache = cache; self.cacheTTL = cacheTTL
        }
    }

    public let configuration: Configuration
    let primary: PostgresClient
    let replicas: [PostgresClient]
    private let running: Task<Void, Never>
    private let cache: CacheAside
    private let rrLock = NSLock()
    private var nextReplica = 0
    /// How long the catalogue took to create (s) when this open created it; nil when it existed.
    public let catalogueCreationSeconds: Double?
    static let logger: Logger = {
        var l = Logger(label: "archsim.backend.postgres")
        l.logLevel = .error   // not the pool's warning that a lease came before run() had started
        return l
    }()

    private init(configuration: Configuration, primary: PostgresClient, replicas: [PostgresClient], running: Task<Void, Never>,
                 cache: CacheAside, created: Double?) {
        self.configuration = configuration; self.primary = primary; self.replicas = replicas; self.running = running
        self.cache = cache; catalogueCreationSeconds = created
    }

    /// Connects to the servers and the cache; creates the catalogue on the primary when it has
    /// none (one backend process does it, the others wait on an advisory lock), then waits
    /// (up to 60 s) until every replica has it too.
    public static func open(_ c: Configuration) async throws -> PostgreSQLShop {
        // The pool retries a server it cannot reach for ever: first one plain connection to
        // each, so that a wrong address or a stopped server is a sentence within 10 s.
        for a in [c.primary] + c.replicas { try await probe(a) }
        func client(_ a: PostgreSQLAddress) -> PostgresClient {
            var config = PostgresClient.Configuration(host: a.host, port: a.port, username: a.user, password: a.password,
                                                      database: a.database, tls: .disable)
            config.options.maximumConnections = max(1, c.connections)
            config.options.keepAliveBehavior = nil
            return PostgresClient(configuration: config, backgroundLogger: logger)
        }
        let primary = client(c.primary)
        let replicas = c.replicas.map(client)
        let all = [primary] + replicas
        let running = Task {
            await withDiscardingTaskGroup { group in for one in all { group.addTask { await one.run() } } }
        }
        do {
            let created = try await createCatalogue(primary, c)
            for (r, address) in zip(replicas, c.replicas) { try await waitForCatalogue(r, address, c.catalogue) }
            let cache: CacheAside
            switch c.cache {
            case .none: cache = .none
            case .inProcess(let capacity, let eviction):
                cache = .inProcess(ProductCache(capacity: capacity, eviction: eviction, ttl: c.cacheTTL.map { Int64($0 * 1e9) },
                                                seed: c.catalogue.seed), Counters())
            case .redis(let a):
                do { cache = .redis(RedisLink(address: a, client: try await RedisClient.connect(host: a.host, port: a.port, timeout: RedisLink.timeout)),
                                    ttl: c.cacheTTL, Counters()) } catch {
                    throw BackendSetupError(message: "cannot reach the Redis cache at \(a): \(error)")
                }
            }
            return PostgreSQLShop(configuration: c, primary: primary, replicas: replicas, running: running, cache: cache, created: created)
        } catch {
            running.cancel()
            _ = await running.value
            if let e = error as? PSQLError { throw BackendSetupError(message: "PostgreSQL at \(c.primary): \(Self.describe(e))") }
            throw error
        }
    }

    /// none, in-process or redis.
    public var cacheKind: String { cache.kind }

    /// Connects to `a` once (10 s at most) and closes; a ``BackendSetupError`` saying why not.
    static func probe(_ a: PostgreSQLAddress) async throws {
        var config = PostgresConnection.Configuration(host: a.host, port: a.port, username: a.user, password: a.password,
                                                      database: a.database, tls: .disable)
        config.options.connectTimeout = .seconds(10)
        do {
            let connection = try await PostgresConnection.connect(on: PostgresClient.defaultEventLoopGroup.next(), configuration: config,
                                                                  id: 0, logger: logger)
            try await connection.close()
        } catch let e as PSQLError {
            throw BackendSetupError(message: "cannot connect to PostgreSQL at \(a): \(e.serverInfo == nil ? "\(e.code)\(e.underlying.map { " (\($0))" } ?? "")" : describe(e))")
        } catch {
            throw BackendSetupError(message: "cannot connect to PostgreSQL at \(a): \(error)")
        }
    }

    public func close() async throws {
        if case .redis(let link, _, _) = cache { await link.close() }
        running.cancel()
        _ = await running.value
    }

    // MARK: The catalogue

    static let schema = [
        """
        CREATE TABLE products (id bigint PRIMARY KEY, name text COLLATE "C" NOT NULL, category text NOT NULL,
            price_cents bigint NOT NULL, stock bigint NOT NULL CHECK (stock >= 0))
        """,
        "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, password_hash text NOT NULL)",
        "CREATE TABLE sessions (token text PRIMARY KEY, user_id bigint NOT NULL, created_ns bigint NOT NULL)",
        """
        CREATE TABLE cart_items (user_id bigint NOT NULL, product_id bigint NOT NULL, quantity bigint NOT NULL,
            PRIMARY KEY (user_id, product_id))
        """,
        """
        CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint NOT NULL, idempotency_key text UNIQUE,
            total_cents bigint NOT NULL, status text NOT NULL, created_ns bigint NOT NULL)
        """,
        """
        CREATE TABLE order_items (order_id bigint NOT NULL, product_id bigint NOT NULL, quantity bigint NOT NULL,
            price_cents bigint NOT NULL, PRIMARY KEY (order_id, product_id))
        """,
        """
        CREATE TABLE payments (id bigserial PRIMARY KEY, order_id bigint NOT NULL UNIQUE, amount_cents bigint NOT NULL,
            created_ns bigint NOT NULL)
        """,
        """
        CREATE TABLE catalogue_info (id int PRIMARY KEY CHECK (id = 1), products bigint NOT NULL, users bigint NOT NULL,
            seed bigint NOT NULL)
        """,
    ]
    /// Built after the bulk load, as for SQLite.
    static let indexes = [
        "CREATE UNIQUE INDEX users_email ON users (email)",
        "CREATE INDEX products_name ON products (name)",
        "CREATE INDEX orders_user ON orders (user_id)",
    ]

    static func storedCatalogue(_ c: PostgresConnection) async throws -> CatalogueSpec? {
        let exists = try await c.query("SELECT to_regclass('catalogue_info') IS NOT NULL", logger: logger).decode(Bool.self)
        for try await e in exists where !e { return nil }
        for try await (p, u, s) in try await c.query("SELECT products, users, seed FROM catalogue_info WHERE id = 1", logger: logger)
            .decode((Int64, Int64, Int64).self) {
            return CatalogueSpec(products: Int(p), users: Int(u), seed: UInt64(bitPattern: s))
        }
        return nil
    }

    /// The schema and the seeded catalogue in one transaction (COPY, then the indexes), under an
    /// advisory lock so that backend processes starting together create it once.
    static func createCatalogue(_ primary: PostgresClient, _ c: Configuration) async throws -> Double? {
        let t0 = monotonicNanoseconds()
        let spec = c.catalogue
        let created: Bool = try await transaction(primary) { conn in
            try await conn.query("SELECT pg_advisory_xact_lock(7262001)", logger: logger)
            if let stored = try await storedCatalogue(conn) {
                guard stored == spec else { throw catalogueMismatch("PostgreSQL at \(c.primary)", stored: stored, asked: spec) }
                return false
            }
            for sql in schema { try await conn.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
            // COPY's text format: tab-separated, one row per line (no value holds a tab, a newline or a backslash).
            try await conn.copyFrom(table: "products", columns: ["id", "name", "category", "price_cents", "stock"], logger: logger) { writer in
                try await copyRows(1...max(1, spec.products), writer) { id in
                    let p = Catalogue.product(id, seed: spec.seed)
                    return "\(p.id)\t\(p.name)\t\(p.category)\t\(p.priceCents)\t\(p.stock)\n"
                }
            }
            try await conn.copyFrom(table: "users", columns: ["id", "email", "password_hash"], logger: logger) { writer in
                try await copyRows(1...max(1, spec.users), writer) { id in
                    "\(id)\t\(Catalogue.email(ofUser: id))\t\(Catalogue.passwordHash(userID: id, password: Catalogue.password(ofUser: id)))\n"
                }
            }
            for sql in indexes { try await conn.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
            try await conn.query("INSERT INTO catalogue_info (id, products, users, seed) VALUES (1, \(Int64(spec.products)), \(Int64(spec.users)), \(Int64(bitPattern: spec.seed)))",
                                 logger: logger)
            return true
        }
        guard created else { return nil }
        try await primary.query("ANALYZE", logger: logger)
        return Double(monotonicNanoseconds() - t0) / 1e9
    }

    static func copyRows(_ ids: ClosedRange<Int>, _ writer: PostgresCopyFromWriter, _ line: (Int) -> String) async throws {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(1 << 20)
        for id in ids {
            buffer.writeString(line(id))
            if buffer.readableBytes >= 1 << 20 { try await writer.write(buffer); buffer.clear() }
        }
        if buffer.readableBytes > 0 { try await writer.write(buffer) }
    }

    /// Waits until a replica has replayed the catalogue (streaming replication: it arrives on its own).
    static func waitForCatalogue(_ replica: PostgresClient, _ address: PostgreSQLAddress, _ spec: CatalogueSpec) async throws {
        let deadline = monotonicNanoseconds() + 60_000_000_000
        while true {
            let stored = try await replica.withConnection { try await storedCatalogue($0) }
            if stored == spec { return }
            if let stored { throw catalogueMismatch("the replica at \(address)", stored: stored, asked: spec) }
            if monotonicNanoseconds() > deadline {
                throw BackendSetupError(message: "the replica at \(address) has not received the catalogue within 60 s: is it a streaming replica of the primary?")
            }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }

    // MARK: Routing and timing

    /// The server a read goes to: a replica (round robin) unless strong or there are none.
    func reader(strong: Bool) -> PostgresClient {
        if strong || replicas.isEmpty { return primary }
        rrLock.lock(); defer { rrLock.unlock() }
        nextReplica = (nextReplica + 1) % replicas.count
        return replicas[nextReplica]
    }

    /// A read on one connection, timed as `db_read` (the connection's wait in the pool included:
    /// PostgreSQL's work is in another process, so there is no thread CPU to split off).
    func read<T: Sendable>(strong: Bool = false, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let t0 = monotonicNanoseconds()
        let value = try await reader(strong: strong).withConnection { try await body($0) }
        RequestStages.record(.dbRead, monotonicNanoseconds() - t0)
        return value
    }

    /// A transaction on the primary (BEGIN … COMMIT, rolled back when `body` throws), timed as
    /// `db_write`. What failed is thrown as itself (a ``ShopError`` of the body, PostgreSQL's
    /// error of a statement or of the commit), not wrapped in PostgresNIO's transaction error.
    func write<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let t0 = monotonicNanoseconds()
        defer { RequestStages.record(.dbWrite, monotonicNanoseconds() - t0) }
        return try await Self.transaction(primary, body)
    }

    /// `body` in a transaction on `client`; its error, or PostgreSQL's, thrown unwrapped.
    static func transaction<T: Sendable>(_ client: PostgresClient, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { try await body($0) }
        } catch let e as PostgresTransactionError {
            throw e.closureError ?? e.commitError ?? e.beginError ?? e.rollbackError ?? e
        }
    }

    static func describe(_ e: PSQLError) -> String {
        if let message = e.serverInfo?[.message] { return "\(message) (SQLSTATE \(e.serverInfo?[.sqlState] ?? "?"))" }
        return "\(e.code)"
    }

    // MARK: Reads

    static func products(_ rows: PostgresRowSequence) async throws -> [Catalogue.Product] {
        var found: [Catalogue.Product] = []
        for try await (id, name, category, price, stock) in rows.decode((Int64, String, String, Int64, Int64).self) {
            found.append(Catalogue.Product(id: id, name: name, category: category, priceCents: price, stock: stock))
        }
        return found
    }

    public func product(id: Int64, strong: Bool) async throws -> Catalogue.Product {
        guard id > 0 else { throw ShopError.notFound("no product \(id)") }
        if !strong {
            let cached = await cache.get(id)
            RequestStages.current?.cacheHit = cached != nil
            if let cached { return cached }
        }
        let found = try await read(strong: strong) { c in
            try await Self.products(c.query("SELECT id, name, category, price_cents, stock FROM products WHERE id = \(id)", logger: Self.logger)).first
        }
        guard let found else { throw ShopError.notFound("no product \(id)") }
        if !strong { await cache.set(found) }
        return found
    }

    public func search(prefix: String, limit: Int) async throws -> [Catalogue.Product] {
        let q = prefix.lowercased()
        guard q.utf8.count <= 100 else { throw ShopError.badRequest("q: at most 100 bytes") }
        let n = Int64(min(max(1, limit), Shop.maxSearchResults))
        let upper = q + "\u{10FFFF}"
        return try await read { c in
            try await Self.products(c.query("SELECT id, name, category, price_cents, stock FROM products WHERE name >= \(q) AND name < \(upper) ORDER BY name LIMIT \(n)",
                                            logger: Self.logger))
        }
    }

    public func order(id: Int64, strong: Bool) async throws -> Shop.Order {
        let found = try await read(strong: strong) { c in try await Self.fetchOrder(id, c) }
        guard let found else { throw ShopError.notFound("no order \(id)") }
        return found
    }

    public func cart(userID: Int64, strong: Bool) async throws -> [Shop.CartItem] {
        try await read(strong: strong) { c in
            var items: [Shop.CartItem] = []
            for try await (product, quantity) in try await c.query("SELECT product_id, quantity FROM cart_items WHERE user_id = \(userID) ORDER BY product_id",
                                                                   logger: Self.logger).decode((Int64, Int64).self) {
                items.append(Shop.CartItem(userID: userID, productID: product, quantity: quantity))
            }
            return items
        }
    }

    static func fetchOrder(_ id: Int64, _ c: PostgresConnection) async throws -> Shop.Order? {
        var head: (Int64, String?, Int64, String)?
        for try await row in try await c.query("SELECT user_id, idempotency_key, total_cents, status FROM orders WHERE id = \(id)", logger: logger)
            .decode((Int64, String?, Int64, String).self) { head = row }
        guard let (user, key, total, status) = head else { return nil }
        var lines: [Shop.OrderLine] = []
        for try await (product, quantity, price) in try await c.query("SELECT product_id, quantity, price_cents FROM order_items WHERE order_id = \(id) ORDER BY product_id",
                                                                      logger: logger).decode((Int64, Int64, Int64).self) {
            lines.append(Shop.OrderLine(productID: product, quantity: quantity, priceCents: price))
        }
        return Shop.Order(id: id, userID: user, idempotencyKey: key, totalCents: total, status: status, items: lines)
    }

    // MARK: Writes

    public func login(email: String, password: String) async throws -> Shop.Session {
        guard email.utf8.count <= 200, password.utf8.count <= 200 else { throw ShopError.badRequest("email and password: at most 200 bytes") }
        let user = try await read { c -> (Int64, String)? in
            for try await row in try await c.query("SELECT id, password_hash FROM users WHERE email = \(email)", logger: Self.logger)
                .decode((Int64, String).self) { return row }
            return nil
        }
        guard let (id, hash) = user, Catalogue.passwordHash(userID: Int(id), password: password) == hash
        else { throw ShopError.unauthorized("unknown email or wrong password") }
        let token = Shop.newToken()
        let now = monotonicNanoseconds()
        try await write { c in
            try await c.query("INSERT INTO sessions (token, user_id, created_ns) VALUES (\(token), \(id), \(now))", logger: Self.logger)
        }
        return Shop.Session(token: token, userID: id)
    }

    static func exists(_ sql: PostgresQuery, _ c: PostgresConnection) async throws -> Bool {
        for try await _ in try await c.query(sql, logger: logger) { return true }
        return false
    }

    public func addToCart(userID: Int64, productID: Int64, quantity: Int64) async throws -> Shop.CartItem {
        guard (1...Shop.maxQuantity).contains(quantity) else {
            throw ShopError.badRequest("quantity: expected 1...\(Shop.maxQuantity), got \(quantity)")
        }
        return try await write { c in
            guard try await Self.exists("SELECT 1 FROM users WHERE id = \(userID) FOR UPDATE", c) else { throw ShopError.notFound("no user \(userID)") }
            guard try await Self.exists("SELECT 1 FROM products WHERE id = \(productID)", c) else { throw ShopError.notFound("no product \(productID)") }
            let most = Shop.maxQuantity
            var total = quantity
            for try await q in try await c.query("""
                INSERT INTO cart_items (user_id, product_id, quantity) VALUES (\(userID), \(productID), \(min(quantity, most)))
                ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = LEAST(cart_items.quantity + EXCLUDED.quantity, \(most))
                RETURNING quantity
                """, logger: Self.logger).decode(Int64.self) { total = q }
            return Shop.CartItem(userID: userID, productID: productID, quantity: total)
        }
    }

    public func placeOrder(userID: Int64, lines: [Shop.OrderLine]?, idempotencyKey: String?) async throws -> Shop.PlacedOrder {
        let wanted = try Shop.validatedLines(lines, idempotencyKey: idempotencyKey)
        let now = monotonicNanoseconds()
        let placed: Shop.PlacedOrder
        do {
            placed = try await place(userID: userID, wanted: wanted, idempotencyKey: idempotencyKey, now: now)
        } catch let e as PSQLError where e.serverInfo?[.sqlState] == "23505" && idempotencyKey != nil {
            // Another request with the same key committed first: this one now finds its order.
            placed = try await place(userID: userID, wanted: wanted, idempotencyKey: idempotencyKey, now: now)
        }
        if !placed.duplicate {
            let t0 = monotonicNanoseconds()
            for line in placed.order.items { await cache.delete(line.productID) }
            RequestStages.record(.cacheDelete, monotonicNanoseconds() - t0)
        }
        return placed
    }

    /// One attempt at placing an order: a transaction on the primary.
    private func place(userID: Int64, wanted: [(Int64, Int64)]?, idempotencyKey: String?, now: Int64) async throws -> Shop.PlacedOrder {
        try await write { c in
            if let key = idempotencyKey {
                // Requests with one key queue here until the first commits, so a retry finds its
                // order before it could take (and be refused) the stock that order took.
                try await c.query("SELECT pg_advisory_xact_lock(hashtextextended(\(key), 0))", logger: Self.logger)
                var found: Int64?
                for try await id in try await c.query("SELECT id FROM orders WHERE idempotency_key = \(key)", logger: Self.logger).decode(Int64.self) { found = id }
                if let found {
                    guard let existing = try await Self.fetchOrder(found, c), existing.userID == userID else {
                        throw ShopError.conflict("idempotency_key already used by another user")
                    }
                    return Shop.PlacedOrder(order: existing, duplicate: true, seq: 0)
                }
            }
            // The user's row lock serialises a user's cart changes with its checkout (SQLite's
            // single writer did): an item added meanwhile is neither lost nor ordered twice.
            guard try await Self.exists("SELECT 1 FROM users WHERE id = \(userID) FOR UPDATE", c) else { throw ShopError.notFound("no user \(userID)") }
            var quantities: [(Int64, Int64)]
            if let wanted {
                quantities = wanted
            } else {
                quantities = []
                for try await row in try await c.query("SELECT product_id, quantity FROM cart_items WHERE user_id = \(userID) ORDER BY product_id",
                                                       logger: Self.logger).decode((Int64, Int64).self) { quantities.append(row) }
                guard !quantities.isEmpty else { throw ShopError.unprocessable("the cart of user \(userID) is empty") }
            }
            var items: [Shop.OrderLine] = []
            var total: Int64 = 0
            for (product, quantity) in quantities {   // in product order: row locks taken in one order
                var row: (Int64, Int64)?
                for try await r in try await c.query("SELECT stock, price_cents FROM products WHERE id = \(product) FOR UPDATE", logger: Self.logger)
                    .decode((Int64, Int64).self) { row = r }
                guard let (stock, price) = row else { throw ShopError.notFound("no product \(product)") }
                guard stock >= quantity else { throw ShopError.insufficientStock(product: product, available: stock, requested: quantity) }
                try await c.query("UPDATE products SET stock = \(stock - quantity) WHERE id = \(product)", logger: Self.logger)
                items.append(Shop.OrderLine(productID: product, quantity: quantity, priceCents: price))
                total += price * quantity
            }
            var id: Int64 = 0
            for try await v in try await c.query("""
                INSERT INTO orders (user_id, idempotency_key, total_cents, status, created_ns)
                VALUES (\(userID), \(idempotencyKey), \(total), 'placed', \(now)) RETURNING id
                """, logger: Self.logger).decode(Int64.self) { id = v }
            for line in items {
                try await c.query("INSERT INTO order_items (order_id, product_id, quantity, price_cents) VALUES (\(id), \(line.productID), \(line.quantity), \(line.priceCents ?? 0))",
                                  logger: Self.logger)
            }
            if wanted == nil { try await c.query("DELETE FROM cart_items WHERE user_id = \(userID)", logger: Self.logger) }
            let order = Shop.Order(id: id, userID: userID, idempotencyKey: idempotencyKey, totalCents: total, status: "placed", items: items)
            return Shop.PlacedOrder(order: order, duplicate: false, seq: 0)
        }
    }

    public func pay(orderID: Int64, amountCents: Int64?) async throws -> Shop.Payment {
        let now = monotonicNanoseconds()
        return try await write { c in
            var row: (Int64, String)?
            for try await r in try await c.query("SELECT total_cents, status FROM orders WHERE id = \(orderID) FOR UPDATE", logger: Self.logger)
                .decode((Int64, String).self) { row = r }
            guard let (total, status) = row else { throw ShopError.notFound("no order \(orderID)") }
            guard status == "placed" else { throw ShopError.conflict("order \(orderID) is already \(status)") }
            if let amountCents, amountCents != total {
                throw ShopError.unprocessable("amount_cents \(amountCents) is not the order's total \(total)")
            }
            var id: Int64 = 0
            for try await v in try await c.query("INSERT INTO payments (order_id, amount_cents, created_ns) VALUES (\(orderID), \(total), \(now)) RETURNING id",
                                                 logger: Self.logger).decode(Int64.self) { id = v }
            try await c.query("UPDATE orders SET status = 'paid' WHERE id = \(orderID)", logger: Self.logger)
            return Shop.Payment(id: id, orderID: orderID, amountCents: total)
        }
    }

    // MARK: Operator's routes

    public func health() async throws -> [String: String] {
        try await primary.query("SELECT 1", logger: Self.logger)
        return ["status": "ok", "replicas": "\(replicas.count)", "storage": "postgres", "cache": cache.kind]
    }

    /// pg_stat_replication on the primary: each standby's WAL positions and PostgreSQL's own lag estimates.
    public struct StandbyStatus: Encodable, Sendable {
        public var address: String
        public var state: String
        public var behindBytes: Int64
        public var replayLagMs: Double?
        enum CodingKeys: String, CodingKey { case address, state; case behindBytes = "behind_bytes"; case replayLagMs = "replay_lag_ms" }
    }

    public func replicationStatus() async throws -> any Encodable & Sendable {
        var standbys: [StandbyStatus] = []
        for try await (address, state, behind, lag) in try await primary.query("""
            SELECT coalesce(host(client_addr), '') || ':' || coalesce(client_port, 0)::text, state,
                   coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::bigint,
                   extract(epoch FROM replay_lag)::float8 * 1000
            FROM pg_stat_replication ORDER BY client_port
            """, logger: Self.logger).decode((String, String, Int64, Double?).self) {
            standbys.append(StandbyStatus(address: address, state: state, behindBytes: behind, replayLagMs: lag))
        }
        return ["standbys": standbys]
    }

    public struct CacheStatus: Encodable, Sendable {
        public var kind: String
        public var gets: Int
        public var hits: Int
        public var hitRatio: Double
        /// Cache operations that failed (counted as misses; the shop carries on without the cache).
        public var errors: Int
        public var server: [String: String]?
        enum CodingKeys: String, CodingKey { case kind, gets, hits, errors, server; case hitRatio = "hit_ratio" }
    }

    public func cacheStatus() async throws -> any Encodable & Sendable { await cache.status() }
}

extension PostgreSQLShop {
    /// Thread-safe counters of the cache's gets, hits and failures.
    final class Counters: @unchecked Sendable {
        private let lock = NSLock()
        private var gets = 0, hits = 0, errors = 0
        func count(hit: Bool) { lock.withLock { gets += 1; if hit { hits += 1 } } }
        func fail() { lock.withLock { errors += 1 } }
        var values: (gets: Int, hits: Int, errors: Int) { lock.withLock { (gets, hits, errors) } }
    }

    /// The backend's connection to Redis, made again (at most once a second) after it closed:
    /// Redis restarted, or a command was not answered within ``timeout``. While there is none,
    /// the cache is skipped.
    final class RedisLink: @unchecked Sendable {
        static let timeout = TimeAmount.seconds(1)
        let address: RedisAddress
        private let lock = NSLock()
        private var client: RedisClient
        private var retryAt: Int64 = 0

        init(address: RedisAddress, client: RedisClient) { self.address = address; self.client = client }

        /// An open connection, or nil while Redis cannot be reached.
        func current() async -> RedisClient? {
            let now = monotonicNanoseconds()
            let (open, tryAgain): (RedisClient?, Bool) = lock.withLock {
                if client.isOpen { return (client, false) }
                guard now >= retryAt else { return (nil, false) }
                retryAt = now + 1_000_000_000   // one reconnect at a time, at most once a second
                return (nil, true)
            }
            if let open { return open }
            guard tryAgain, let fresh = try? await RedisClient.connect(host: address.host, port: address.port, timeout: Self.timeout) else { return nil }
            lock.withLock { client = fresh }
            return fresh
        }

        func close() async { await lock.withLock { client }.close() }
    }

    /// The product cache in front of PostgreSQL. A Redis failure counts as a miss (the read goes
    /// to the database) and as an error: the cache speeds the shop up but never stops it (each
    /// command has ``RedisLink/timeout`` to answer; the link reconnects after a failure).
    enum CacheAside: Sendable {
        case none
        case inProcess(ProductCache, Counters)
        case redis(RedisLink, ttl: Double?, Counters)

        static func key(_ id: Int64) -> String { "product:\(id)" }

        var kind: String {
            switch self {
            case .none: "none"
            case .inProcess: "in-process"
            case .redis: "redis"
            }
        }

        func get(_ id: Int64) async -> Catalogue.Product? {
            let t0 = monotonicNanoseconds()
            defer { RequestStages.record(.cacheGet, monotonicNanoseconds() - t0) }
            switch self {
            case .none:
                return nil
            case .inProcess(let cache, let counters):
                let found = cache.get(id)
                counters.count(hit: found != nil)
                return found
            case .redis(let link, _, let counters):
                do {
                    guard let client = await link.current() else { throw RESPError("no connection to Redis") }
                    let bytes = try await client.get(Self.key(id))
                    let found = try bytes.map { try JSONDecoder().decode(Catalogue.Product.self, from: Data($0)) }
                    counters.count(hit: found != nil)
                    return found
                } catch {
                    counters.fail(); counters.count(hit: false)
                    return nil
                }
            }
        }

        func set(_ product: Catalogue.Product) async {
            let t0 = monotonicNanoseconds()
            defer { RequestStages.record(.cacheSet, monotonicNanoseconds() - t0) }
            switch self {
            case .none: return
            case .inProcess(let cache, _): cache.set(product)
            case .redis(let link, let ttl, let counters):
                guard let json = try? JSONEncoder().encode(product) else { return }
                do {
                    guard let client = await link.current() else { throw RESPError("no connection to Redis") }
                    try await client.set(Self.key(product.id), String(decoding: json, as: UTF8.self), ttl: ttl)
                } catch { counters.fail() }
            }
        }

        func delete(_ id: Int64) async {
            switch self {
            case .none: return
            case .inProcess(let cache, _): cache.delete(id)
            case .redis(let link, _, let counters):
                do {
                    guard let client = await link.current() else { throw RESPError("no connection to Redis") }
                    try await client.del([Self.key(id)])
                } catch { counters.fail() }
            }
        }

        func status() async -> CacheStatus {
            switch self {
            case .none:
                return CacheStatus(kind: kind, gets: 0, hits: 0, hitRatio: 0, errors: 0, server: nil)
            case .inProcess(let cache, let counters):
                let (g, h, e) = counters.values
                let s = cache.stats()
                return CacheStatus(kind: kind, gets: g, hits: h, hitRatio: g > 0 ? Double(h) / Double(g) : 0, errors: e,
                                   server: ["entries": "\(s.entries)", "capacity": "\(s.capacity)", "evictions": "\(s.evictions)"])
            case .redis(let link, _, let counters):
                let (g, h, e) = counters.values
                var server: [String: String]?
                if let client = await link.current(), let info = try? await client.info() {
                    let wanted = ["keyspace_hits", "keyspace_misses", "evicted_keys", "expired_keys", "used_memory", "maxmemory",
                                  "maxmemory_policy", "redis_version", "db0"]
                    server = info.filter { wanted.contains($0.key) }
                }
                return CacheStatus(kind: kind, gets: g, hits: h, hitRatio: g > 0 ? Double(h) / Double(g) : 0, errors: e, server: server)
            }
        }
    }
}
