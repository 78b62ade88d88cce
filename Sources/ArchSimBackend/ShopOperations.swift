// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// What the HTTP routes call: the shop's operations, whatever stores its data. ``Shop`` keeps
/// it in embedded SQLite (the default: a primary and log-shipped replicas in one process);
/// ``PostgreSQLShop`` in a PostgreSQL server and its streaming replicas, with an in-process or a
/// Redis product cache (the lab's evolution steps). Both validate the same input the same way
/// and answer with the same JSON.
public protocol ShopOperations: AnyObject, Sendable {
    func login(email: String, password: String) async throws -> Shop.Session
    func search(prefix: String, limit: Int) async throws -> [Catalogue.Product]
    /// Cache-aside: the cache, then on a miss a replica (the primary when `strong`).
    func product(id: Int64, strong: Bool) async throws -> Catalogue.Product
    func cart(userID: Int64, strong: Bool) async throws -> [Shop.CartItem]
    func addToCart(userID: Int64, productID: Int64, quantity: Int64) async throws -> Shop.CartItem
    func placeOrder(userID: Int64, lines: [Shop.OrderLine]?, idempotencyKey: String?) async throws -> Shop.PlacedOrder
    func order(id: Int64, strong: Bool) async throws -> Shop.Order
    func pay(orderID: Int64, amountCents: Int64?) async throws -> Shop.Payment

    /// GET /health's fields.
    func health() async throws -> [String: String]
    /// GET /replication: how far each replica is behind the primary.
    func replicationStatus() async throws -> any Encodable & Sendable
    /// GET /cache: the product cache's counters.
    func cacheStatus() async throws -> any Encodable & Sendable
    /// Stops background work and closes every connection or file.
    func close() async throws
}

/// The catalogue a data store was created with, when it differs from the one asked for.
func catalogueMismatch(_ place: String, stored: CatalogueSpec?, asked: CatalogueSpec) -> BackendSetupError {
    BackendSetupError(message: "\(place) holds a catalogue of \(stored.map { "\($0.products) products, \($0.users) users, seed \($0.seed)" } ?? "unknown size"); "
        + "asked for \(asked.products) products, \(asked.users) users, seed \(asked.seed): use another one or remove it")
}

extension Shop: ShopOperations {
    public func health() async throws -> [String: String] {
        ["status": "ok", "replicas": "\(replicas.count)", "storage": "sqlite"]
    }

    public func replicationStatus() async throws -> any Encodable & Sendable {
        let primarySeq = try await primarySeq()
        return BackendApp.ReplicationStatus(primarySeq: primarySeq, replicas: replicas.map {
            BackendApp.ReplicaStatus(index: $0.index, appliedSeq: $0.appliedSeq, behind: max(0, primarySeq - $0.appliedSeq), lag: $0.lag.summary())
        })
    }

    public func cacheStatus() async throws -> any Encodable & Sendable { cache.stats() }
}
