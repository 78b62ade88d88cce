// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimStats
import DequeModule

/// A primary/replica database: writes go to the primary; reads go to the replicas (balanced) or
/// the primary, as the architecture says. Each server has a connection pool: a query waits for a
/// free connection, then holds it for its read or write time.
///
/// Replication is ordered, like binlog shipping: every committed write gets the next sequence
/// number; it reaches each replica after the replication lag, never before the writes committed
/// earlier (shipping is FIFO); the replica applies it (apply time, holding a connection, up to
/// `applyWorkers` at once) and it becomes visible in commit order. A read at a replica of a key
/// whose latest committed write is not yet visible there is a stale read.
struct ReplicaSet {
    let name: String
    /// Server 0 is the primary as configured, 1… the replicas. After a failover `primary`
    /// names the promoted replica.
    var servers: [DatabaseInstance]
    var primary = 0
    let readsFromReplicas: Bool
    let balancer: BalancerPolicy
    var balancerTurn = 0
    let balancerStream: RandomStream
    let lag: Sampler
    let applyWorkers: Int
    let failoverAfter: Int64?
    /// Sequence number of the last committed write.
    var committed: Int64 = 0
    /// For each key space and key id, the sequence number of its latest committed write
    /// (0 = none); grown on demand, so memory follows the largest key id written.
    var lastWrite: [[Int64]] = []
    /// Writes lost by a failover (committed on the old primary, never applied on the new one).
    var lostWrites = 0

    init(_ db: Database, streams: RandomStreams) {
        name = db.name
        readsFromReplicas = db.readsFrom == .replicas && db.replicaCount > 0
        balancer = db.replicaBalancer
        balancerStream = streams.stream("database.\(db.name).balancer")
        lag = Sampler(distribution: db.replicationLag, stream: streams.stream("database.\(db.name).lag"))
        applyWorkers = db.applyWorkers
        failoverAfter = db.failoverAfter
        servers = [DatabaseInstance(db.primary, role: .primary, name: "\(db.name).primary", streams: streams)]
        for r in 0..<db.replicaCount {
            servers.append(DatabaseInstance(db.replica, role: .replica, name: "\(db.name).replica[\(r)]", streams: streams))
        }
    }

    /// The server for a read: the primary for strong reads or when reads go to the primary;
    /// otherwise a replica that is up, by the balancer policy (ties: rotating start). nil when
    /// no replica is up (the read then goes to the primary).
    mutating func replicaForRead() -> Int? {
        // Candidates are the replicas that are up, ranked 0..<n in server order. No array is
        // built: this runs once per read, on the event path.
        var n = 0
        for s in servers.indices where isReadCandidate(s) { n += 1 }
        guard n > 0 else { return nil }
        switch balancer {
        case .random: return candidate(balancerStream.index(below: n))
        case .powerOfTwo where n > 1:
            let a = balancerStream.index(below: n)
            var b = balancerStream.index(below: n - 1)
            if b >= a { b += 1 }
            let ca = candidate(a), cb = candidate(b)
            return servers[cb].open < servers[ca].open ? cb : ca
        case .leastConnections:
            // Fewest open queries; ties go to the first in a rotating order starting at rank `start`.
            let start = balancerTurn % n
            balancerTurn &+= 1
            var best = -1, bestOpen = Int.max, bestTurn = Int.max, rank = 0
            for s in servers.indices where isReadCandidate(s) {
                let turn = (rank - start + n) % n
                if servers[s].open < bestOpen || (servers[s].open == bestOpen && turn < bestTurn) {
                    best = s; bestOpen = servers[s].open; bestTurn = turn
                }
                rank += 1
            }
            return best
        default:
            // round_robin (and consistent_hash, which needs a key a read does not pass here).
            balancerTurn &+= 1
            return candidate((balancerTurn - 1) % n)
        }
    }

    @inline(__always) func isReadCandidate(_ s: Int) -> Bool {
        s != primary && servers[s].role == .replica && !servers[s].down
    }

    /// The server of the candidate ranked `k`. O(servers).
    func candidate(_ k: Int) -> Int {
        var rank = 0
        for s in servers.indices where isReadCandidate(s) {
            if rank == k { return s }
            rank += 1
        }
        preconditionFailure("candidate rank \(k) out of range")
    }

    /// Records a committed write of `key` (if any); returns its sequence number.
    mutating func commit(key: UInt64?) -> Int64 {
        committed += 1
        if let key {
            let space = KeyId.space(key), k = KeyId.id(key)
            while space >= lastWrite.count { lastWrite.append([]) }
            if k >= lastWrite[space].count {
                lastWrite[space].append(contentsOf: repeatElement(0, count: max(k + 1 - lastWrite[space].count, lastWrite[space].count)))
            }
            lastWrite[space][k] = committed
        }
        return committed
    }

    /// Whether a read of `key` at server `s` now would miss a committed write.
    func isStale(key: UInt64, at s: Int) -> Bool {
        let space = KeyId.space(key), k = KeyId.id(key)
        return space < lastWrite.count && k < lastWrite[space].count && lastWrite[space][k] > servers[s].visible
    }
}

/// One database server (primary or replica): a connection pool with a FIFO queue, and for a
/// replica, its replication state.
struct DatabaseInstance {
    enum Role { case primary, replica }
    let name: String
    var role: Role
    let connections: Int
    let read: Sampler
    let write: Sampler
    var busy = 0
    /// Waiting queries (task indices), in arrival order.
    var queue = Deque<Int32>()
    var open = 0
    var down = false
    var slowFactor = 1.0
    /// Bumped by a crash: queries started before it are lost.
    var epoch: UInt32 = 0

    // Replication (replicas).
    /// Sequence number of the last write visible here (all earlier ones are too).
    var visible: Int64 = 0
    /// Writes shipped and not yet arrived: (sequence, commit time), in order.
    var shipping = Deque<(seq: Int64, committedAt: Int64)>()
    var lastArrival: Int64 = 0
    /// Bumped when the primary crashes: shipments on their way are held back (stale events ignored).
    var shipEpoch: UInt32 = 0
    /// Writes not yet shipped when the primary crashed: re-sent when it comes back, lost if a
    /// replica is promoted instead.
    var held = Deque<(seq: Int64, committedAt: Int64)>()
    /// Writes arrived and not yet being applied, in order.
    var relay = Deque<(seq: Int64, committedAt: Int64)>()
    /// Apply jobs waiting for a connection (served before queued queries), and running.
    var applyQueued = 0
    var applyRunning = 0
    /// Writes being applied or applied and waiting for earlier ones, in sequence order; `done`
    /// once applied (visible when all before are). A finished apply frees its worker at once.
    var applying = Deque<(seq: Int64, committedAt: Int64, token: UInt32, done: Bool)>()
    var applyToken: UInt32 = 0
    /// Writes that became visible out of commit order: always 0 (an invariant the tests check).
    var orderViolations = 0

    // Statistics after the warm-up.
    var busyGauge = TimeWeighted()
    var queueGauge = TimeWeighted()
    var wait = LatencyHistogram()
    var served = 0
    /// Reads among `served`.
    var reads = 0
    var staleReads = 0
    var lag = LatencyHistogram()

    init(_ server: DatabaseServer, role: Role, name: String, streams: RandomStreams) {
        self.name = name
        self.role = role
        connections = server.connections
        read = Sampler(distribution: server.read, stream: streams.stream("database.\(name).read"))
        write = Sampler(distribution: server.write, stream: streams.stream("database.\(name).write"))
    }
}
