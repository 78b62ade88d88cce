// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import GRDB

/// The shop's storage and rules: one primary SQLite database (WAL) that takes every write,
/// N replicas fed by the primary's change log that serve reads, and the product cache in front
/// of product reads. SQL is parameterised only. Every method is safe to call concurrently.
public final class Shop: @unchecked Sendable {
    public let configuration: BackendConfiguration
    public let primary: DatabasePool
    public let replicas: [Replica]
    public let cache: ProductCache
    let shipper: ReplicationShipper
    private let rrLock = NSLock()
    private var nextReplica = 0
    /// How long the catalogue took to create (s) when this open created it; nil when it existed.
    public let catalogueCreationSeconds: Double?

    // MARK: Limits of a request

    public static let maxQuantity: Int64 = 1000
    public static let maxLines = 50
    public static let maxSearchResults = 50

    /// Opens the databases in `configuration.directory`, creating the catalogue (and copying it
    /// to each replica) on first start, and starts replication.
    public init(configuration: BackendConfiguration) throws {
        self.configuration = configuration
        let fm = FileManager.default
        try fm.createDirectory(atPath: configuration.directory, withIntermediateDirectories: true)
        let primaryPath = configuration.directory + "/primary.sqlite"
        var created: Double?
        if !fm.fileExists(atPath: primaryPath) {
            let t0 = monotonicNanoseconds()
            // Build in a side file and rename, so a crash mid-creation never leaves a half catalogue.
            let building = primaryPath + ".building"
            for suffix in ["", "-wal", "-shm"] { try? fm.removeItem(atPath: building + suffix) }
            let queue = try DatabaseQueue(path: building, configuration: Self.bulkConfiguration())
            try queue.inTransaction(.exclusive) { db in
                try Catalogue.create(in: db, spec: configuration.catalogue)
                return .commit
            }
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
            try queue.close()
            try fm.moveItem(atPath: building, toPath: primaryPath)
            // Replicas start as byte copies of the fresh primary (log position 0).
            for i in 0..<configuration.replicas {
                let path = Self.replicaPath(configuration, i)
                for suffix in ["", "-wal", "-shm"] { try? fm.removeItem(atPath: path + suffix) }
                try fm.copyItem(atPath: primaryPath, toPath: path)
            }
            created = Double(monotonicNanoseconds() - t0) / 1e9
        }
        catalogueCreationSeconds = created
        primary = try DatabasePool(path: primaryPath, configuration: Self.poolConfiguration(configuration, synchronous: configuration.synchronous))
        let stored = try primary.read { db in
            try Row.fetchOne(db, sql: "SELECT products, users, seed FROM catalogue_info WHERE id = 1")
                .map { CatalogueSpec(products: $0["products"], users: $0["users"], seed: UInt64(bitPattern: $0["seed"] as Int64)) }
        }
        guard stored == configuration.catalogue else {
            try? primary.close()
            throw catalogueMismatch(configuration.directory, stored: stored, asked: configuration.catalogue)
        }
        var replicas: [Replica] = []
        for i in 0..<configuration.replicas {
            let path = Self.replicaPath(configuration, i)
            if !fm.fileExists(atPath: path) {
                // A new or lost replica: a consistent snapshot of the primary, positioned at the
                // log entry that snapshot includes.
                let fresh = try DatabaseQueue(path: path)
                try primary.backup(to: fresh)
                try fresh.write { db in
                    let seq = try ReplicationLog.lastSeq(in: db)
                    try db.execute(sql: "UPDATE replication_state SET applied_seq = ? WHERE id = 1", arguments: [seq])
                    try db.execute(sql: "DELETE FROM change_log")
                }
                try fresh.close()
            }
            let pool = try DatabasePool(path: path, configuration: Self.poolConfiguration(configuration, synchronous: .normal))
            replicas.append(try Replica(index: i, database: pool))
        }
        self.replicas = replicas
        let cache = ProductCache(capacity: configuration.cacheCapacity, eviction: configuration.cacheEviction,
                                 ttl: configuration.cacheTTL, seed: configuration.catalogue.seed)
        self.cache = cache
        shipper = ReplicationShipper(primary: primary, replicas: replicas) { products in
            // A replica now holds a newer row: drop copies cached from an older one.
            for id in products { cache.delete(id) }
        }
        shipper.start()
    }

    /// Stops replication and closes every database.
    public func close() async throws {
        await shipper.stop()
        for r in replicas { try r.database.close() }
        try primary.close()
    }

    static func replicaPath(_ c: BackendConfiguration, _ i: Int) -> String { c.directory + "/replica-\(i).sqlite" }

    static func bulkConfiguration() -> Configuration {
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144")
        }
        return config
    }

    static func poolConfiguration(_ c: BackendConfiguration, synchronous: BackendConfiguration.Synchronous) -> Configuration {
        var config = Configuration()
        config.maximumReaderCount = max(1, c.readerConnections)
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue.uppercased())")
        }
        return config
    }

    // MARK: Routing of reads and writes

    /// The database a read goes to: a replica (round robin) unless strong or there are none.
    func reader(strong: Bool) -> DatabasePool {
        if strong || replicas.isEmpty { return primary }
        rrLock.lock(); defer { rrLock.unlock() }
        nextReplica = (nextReplica + 1) % replicas.count
        return replicas[nextReplica].database
    }

    /// A read, timed as `db_read`.
    func read<T: Sendable>(strong: Bool = false, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let (value, ns, cpu) = try await reader(strong: strong).read { db in
            let t0 = monotonicNanoseconds(), c0 = threadCPUNanoseconds()
            let v = try body(db)
            return (v, monotonicNanoseconds() - t0, threadCPUNanoseconds() - c0)
        }
        RequestStages.record(.dbRead, ns)
        RequestStages.record(.dbReadCPU, min(cpu, ns))
        return value
    }

    /// A write transaction on the primary, timed as `db_write`: `body` returns its result and the
    /// changes to ship; they are appended to the log inside the same transaction. Returns the
    /// result and the log position the write reached (0 when nothing was logged).
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> (T, [Change])) async throws -> (T, Int64) {
        let logging = !replicas.isEmpty
        let (value, seq, ns, cpu) = try await primary.writeWithoutTransaction { db in
            let t0 = monotonicNanoseconds(), c0 = threadCPUNanoseconds()
            var result: (T, Int64)?
            // The commit (and its fsync under synchronous=FULL) is inside the timed span.
            try db.inTransaction(.immediate) {
                let (v, changes) = try body(db)
                let seq = logging ? try ReplicationLog.append(changes, in: db) ?? 0 : 0
                result = (v, seq)
                return .commit
            }
            return (result!.0, result!.1, monotonicNanoseconds() - t0, threadCPUNanoseconds() - c0)
        }
        RequestStages.record(.dbWrite, ns)
        RequestStages.record(.dbWriteCPU, min(cpu, ns))
        if seq > 0 { shipper.notify() }
        return (value, seq)
    }

    /// The log position every replica has applied.
    public var replicatedSeq: Int64 { replicas.map(\.appliedSeq).min() ?? 0 }

    /// The primary's last log position.
    public func primarySeq() async throws -> Int64 { try await primary.read { db in try ReplicationLog.lastSeq(in: db) } }

    /// Waits until every replica has applied `seq` (polling every millisecond); false on timeout.
    public func waitForReplicas(seq: Int64, timeout: Double) async -> Bool {
        let deadline = monotonicNanoseconds() + Int64(timeout * 1e9)
        while replicatedSeq < seq {
            if monotonicNanoseconds() > deadline { return false }
            try? await Task.sleep(nanoseconds: 1_000_000)
        }
        return true
    }
}
