// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimModel
import Foundation

/// How the real backend is set up: where it listens, where its files live, how many replicas,
/// the catalogue's size and seed, the cache, and how durable a commit is.
public struct BackendConfiguration: Sendable {
    /// Address to bind. Loopback unless the user asks for another one explicitly.
    public var host: String
    /// TCP port; 0 = an ephemeral port chosen by the system (tests).
    public var port: Int
    /// Directory holding `primary.sqlite` and `replica-N.sqlite`.
    public var directory: String
    /// Read replicas kept up to date by shipping the primary's change log (≥ 0; 0 = reads go
    /// to the primary).
    public var replicas: Int
    public var catalogue: CatalogueSpec
    /// Product entries the in-process cache holds.
    public var cacheCapacity: Int
    public var cacheEviction: EvictionPolicy
    /// Entries expire this long after they were set (ns); nil = never.
    public var cacheTTL: Int64?
    /// SQLite `synchronous` on the primary: `full` (an acknowledged order survives a power
    /// loss), `normal` (survives a crash of the process), `off`.
    public var synchronous: Synchronous
    /// Reader connections of each database (GRDB pool): queries that run at once.
    public var readerConnections: Int
    /// Largest request body accepted (bytes); larger bodies get 413.
    public var maxBodyBytes: Int

    public enum Synchronous: String, Sendable, CaseIterable { case full, normal, off }

    public init(host: String = "127.0.0.1", port: Int = 8080, directory: String = ".archsim-backend",
                replicas: Int = 2, catalogue: CatalogueSpec = CatalogueSpec(), cacheCapacity: Int = 10_000,
                cacheEviction: EvictionPolicy = .lru, cacheTTL: Int64? = nil, synchronous: Synchronous = .full,
                readerConnections: Int = 4, maxBodyBytes: Int = 64 * 1024) {
        self.host = host; self.port = port; self.directory = directory; self.replicas = replicas
        self.catalogue = catalogue; self.cacheCapacity = cacheCapacity; self.cacheEviction = cacheEviction
        self.cacheTTL = cacheTTL; self.synchronous = synchronous; self.readerConnections = readerConnections
        self.maxBodyBytes = maxBodyBytes
    }
}

/// The seeded catalogue: the same seed and sizes give the same products and users, byte for byte.
public struct CatalogueSpec: Sendable, Equatable, Codable {
    public var products: Int
    public var users: Int
    public var seed: UInt64
    public init(products: Int = 100_000, users: Int = 1_000_000, seed: UInt64 = 42) {
        self.products = products; self.users = users; self.seed = seed
    }
    /// A small catalogue for tests: created in well under a second.
    public static let small = CatalogueSpec(products: 2_000, users: 5_000, seed: 42)
}
