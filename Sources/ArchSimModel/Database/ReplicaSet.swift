// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel

/// A primary/replica database: writes go to the primary; reads go to the replicas (balanced) or
/// the primary, as the architecture says. Each server has a connection pool: a query waits for a
/// free connection, then holds it for its read or write time.
///
/// Replication is ordered, like binlog shipping: every committed write gets the next sequence
/// number; it reaches each replica after the replication lag, never before the writes committed
/// earlier (shipping is FIFO); the replica applies it (apply time, holding a connection, up to
/// `applyWorkers` at once, ahead of queued queries) and it becomes visible in commit order. A read
/// at a replica of a key whose latest committed write is not yet visible there is a stale read.
///
/// The replica set owns these transitions. Methods that start timed work schedule its event
/// themselves (`shipArrive`, `applyDone`) on the queue they are given; a method that frees a
/// connection a waiting query takes returns that query, and the simulation starts it.
package struct ReplicaSet {
    /// A waiting query that was handed a connection, and how long it waited (ns).
    package struct Handoff {
        package var task: TaskID
        package var waited: Int64
    }

    /// `main`, or `main[2]` for a shard of a sharded database.
    package let name: String
    /// The database's index in the architecture, and this replica set's shard.
    package let database: Int
    package let shard: Int
    /// This replica set's index in the simulation (carried in its events).
    package let index: Int
    /// Server 0 is the primary as configured, 1… the replicas. After a failover `primary`
    /// names the promoted replica.
    package private(set) var servers: [DatabaseInstance]
    package private(set) var primary = 0
    package let readsFromReplicas: Bool
    package let balancer: BalancerPolicy
    private var balancerTurn = 0
    package let balancerStream: RandomStream
    /// consistent_hash: the ring of replicas (servers 1…).
    private var ring: HashRing?
    /// The read candidates — replicas that are up, not the primary — in server order (their
    /// ranks): rebuilt when a server crashes, recovers or changes role, so that a read finds
    /// them in O(1) instead of scanning every server.
    private var candidates: [Int] = []
    /// Each server's open queries, kept beside the servers (a copy of `servers[s].open`, set
    /// wherever it changes) so that least_connections scans one small array, not every
    /// server's state.
    private var openOf: [Int32] = []
    /// least_connections over many candidates: their open queries by rank in a tournament tree
    /// (O(log n) per read and per change, the same choice as the scan), and each server's rank
    /// (-1: not a candidate). Kept only from ``treeFrom`` candidates on (`usesTree`); below
    /// that the scan is faster. Not an optional: mutated in place, never copied.
    private var loads = MinTree([])
    private var usesTree = false
    private var rankOf: [Int] = []
    /// Candidates from which least_connections keeps ``loads``: the break-even measured with
    /// callgrind on `bench --scale`'s model (16 replicas: the tree +0.8% instructions; 32: −0.1%;
    /// 64: −1.2%; 512: −16.6%).
    package static let treeFrom = 32
    package let lag: Sampler
    package let applyWorkers: Int
    package let failoverAfter: Int64?
    /// Start of measurement (end of the warm-up, ns).
    package let measuredFrom: Int64
    /// Sequence number of the last committed write.
    package private(set) var committed: Int64 = 0
    /// For each key written, the sequence number of its latest committed write (absent: none).
    /// Sparse: memory follows the keys written, not the size of their key spaces.
    package private(set) var lastWrite = SparseKeyMap()
    /// Writes lost by a failover (committed on the old primary, never applied on the new one).
    package private(set) var lostWrites = 0
    /// Per server, whether it runs on a host machine (its apply work is then the machine's CPU
    /// work, handed to the simulation through `hostApplies`); empty: none does.
    package private(set) var onHost: [Bool] = []
    private var hostApplies: [(server: Int, token: UInt32, time: Int64)] = []

    package init(_ db: Database, database: Int = 0, shard: Int = 0, index: Int, measuredFrom: Int64, streams: RandomStreams) {
        name = db.shards == 1 ? db.name : "\(db.name)[\(shard)]"
        self.database = database
        self.shard = shard
        self.index = index
        self.measuredFrom = measuredFrom
        readsFromReplicas = db.readsFrom == .replicas && db.replicaCount > 0
        balancer = db.replicaBalancer
        balancerStream = streams.stream("database.\(name).balancer")
        lag = Sampler(distribution: db.replicationLag, stream: streams.stream("database.\(name).lag"))
        applyWorkers = db.applyWorkers
        failoverAfter = db.failoverAfter
        servers = [DatabaseInstance(db.primary, role: .primary, name: "\(name).primary", streams: streams)]
        for r in 0..<db.replicaCount {
            servers.append(DatabaseInstance(db.replica, role: .replica, name: "\(name).replica[\(r)]", streams: streams))
        }
        if balancer == .consistentHash {
            let name = self.name
            ring = HashRing(members: 1..<(db.replicaCount + 1)) { r, v in "\(name).replica#\(r - 1)#\(v)" }
        }
        openOf = Array(repeating: 0, count: servers.count)
        refreshCandidates()
    }

    /// Copies server `s`'s open queries into ``openOf`` (after each change).
    @inline(__always) private mutating func noteOpen(_ s: Int) {
        openOf[s] = Int32(truncatingIfNeeded: servers[s].open)
        if usesTree, rankOf[s] >= 0 { loads.set(rankOf[s], to: openOf[s]) }
    }

    /// Rebuilds ``candidates`` after a server's state or role changed.
    private mutating func refreshCandidates() {
        candidates.removeAll(keepingCapacity: true)
        for s in servers.indices where isReadCandidate(s) { candidates.append(s) }
        usesTree = balancer == .leastConnections && candidates.count >= Self.treeFrom
        guard usesTree else { return }
        rankOf = Array(repeating: -1, count: servers.count)
        for (rank, s) in candidates.enumerated() { rankOf[s] = rank }
        loads = MinTree(candidates.map { openOf[$0] })
    }

    // MARK: Routing

    /// The server for a query: writes, strong reads, and every read of a database that reads
    /// from its primary go to the primary; other reads to a replica that is up, by the balancer
    /// policy (the primary when none is up).
    package mutating func server(forRead isRead: Bool, strong: Bool, key: UInt64?) -> Int {
        if isRead && !strong && readsFromReplicas, let replica = replicaForRead(key: key) { return replica }
        return primary
    }

    /// A replica that is up, by the balancer policy (ties: rotating start); nil when none is.
    /// consistent_hash hashes the read's key (a read without one takes turns). O(1) for
    /// random, power_of_two and round_robin; for least_connections a scan of the candidates below
    /// ``treeFrom`` of them, O(log) from there (``loads``); O(log) for consistent_hash.
    package mutating func replicaForRead(key: UInt64?) -> Int? {
        let n = candidates.count
        guard n > 0 else { return nil }
        switch balancer {
        case .random: return candidates[balancerStream.index(below: n)]
        case .powerOfTwo where n > 1:
            let a = balancerStream.index(below: n)
            var b = balancerStream.index(below: n - 1)
            if b >= a { b += 1 }
            let ca = candidates[a], cb = candidates[b]
            return openOf[cb] < openOf[ca] ? cb : ca
        case .leastConnections:
            // Fewest open queries; ties go to the first in a rotating order starting at rank `start`.
            let start = balancerTurn % n
            balancerTurn &+= 1
            if usesTree { return candidates[loads.firstLeast(from: start)!] }
            var best = -1, bestOpen = Int32.max
            for k in start..<n where openOf[candidates[k]] < bestOpen { best = candidates[k]; bestOpen = openOf[best] }
            for k in 0..<start where openOf[candidates[k]] < bestOpen { best = candidates[k]; bestOpen = openOf[best] }
            return best
        case .consistentHash where key != nil:
            // The first replica clockwise from the key's hash that is up (a promoted one is no
            // candidate).
            return ring!.member(for: key!, where: isReadCandidate)
        default:
            // round_robin, power_of_two over one replica, consistent_hash without a key.
            balancerTurn &+= 1
            return candidates[(balancerTurn - 1) % n]
        }
    }

    @inline(__always) package func isReadCandidate(_ s: Int) -> Bool {
        // Stored fields, not a computed property: read in place, the server is never copied.
        s != primary && servers[s].role == .replica && !servers[s].down
    }

    // MARK: Queries

    /// What happened to a query that reached its server.
    package enum Arrival { case down, granted, queued, rejected }

    /// `task`'s query reaches server `s`: it fails (down), takes a connection, waits, or is
    /// rejected (`max_connections`).
    package mutating func admit(_ task: TaskID, server s: Int, at now: Int64) -> Arrival {
        guard !servers[s].down else { return .down }
        let admission = servers[s].admit(task, at: now, counted: now >= measuredFrom)
        noteOpen(s)
        switch admission {
        case .granted: return .granted
        case .queued: return .queued
        case .rejected: return .rejected
        }
    }

    /// `task`'s query holding a connection at server `s` starts. Returns how it goes on
    /// (executes, reads a row from disk, or waits for a disk), whether it reads stale data (a
    /// replica read of a key with a committed write not visible there), and the server's epoch.
    package mutating func startQuery(_ task: TaskID, server s: Int, isRead: Bool, key: UInt64?, locks: Bool, waited: Int64,
                                     at now: Int64) -> (start: DatabaseInstance.QueryStart, stale: Bool, epoch: UInt32) {
        let counted = now >= measuredFrom
        let start = servers[s].startQuery(task, isRead: isRead, key: key, locks: locks, waited: waited, at: now,
                                          counted: counted)
        var stale = false
        if isRead && s != primary, let key, isStale(key: key, at: s) {
            stale = true
            if counted { servers[s].countStaleRead() }
        }
        return (start, stale, servers[s].epoch)
    }

    /// A disk read at server `s` ended: returns the read that waited longest for a disk (it
    /// has it now) with its disk read time, and the ended read's execution time.
    package mutating func diskReadEnded(server s: Int, at now: Int64)
        -> (next: (task: TaskID, time: Int64)?, readTime: Int64) {
        let ended = servers[s].diskReadEnded(at: now)
        guard case .task(let next, let waited) = ended.handoff else { return (nil, ended.readTime) }
        return ((next, servers[s].startDiskRead(waited: waited, counted: now >= measuredFrom)), ended.readTime)
    }

    /// A `lock: row` write at server `s` that waited `waited` ns got its row's lock: its write time.
    package mutating func startLockedWrite(server s: Int, key: UInt64, waited: Int64, at now: Int64) -> Int64 {
        servers[s].startLockedWrite(key: key, waited: waited, counted: now >= measuredFrom)
    }

    /// `task`'s lock wait at server `s` passed its limit: if it still waits, it leaves the
    /// server (returns true) and its connection goes to the next in line (`handoff`).
    package mutating func abandonLockWait(_ task: TaskID, server s: Int, key: UInt64, at now: Int64,
                                          events: inout EventQueue) -> (gaveUp: Bool, handoff: Handoff?) {
        guard servers[s].cancelLockWait(task, key: key, at: now) else { return (false, nil) }
        servers[s].abandonQuery()
        noteOpen(s)
        return (true, releaseConnection(server: s, at: now, events: &events))
    }

    /// Whether writes at server `s` wait for a redo-log flush before they commit.
    @inline(__always) package func hasRedoLog(server s: Int) -> Bool { servers[s].hasRedoLog }

    /// `task`'s write at server `s` (started in `epoch`) ended: it waits for its commit to be
    /// durable; a flush that starts now has its end scheduled. False if the server crashed
    /// since the write started (it was lost).
    package mutating func awaitCommit(_ task: TaskID, server s: Int, epoch: UInt32, at now: Int64,
                                      events: inout EventQueue) -> Bool {
        guard servers[s].epoch == epoch else { return false }
        if let flush = servers[s].awaitCommit(task, at: now) { scheduleFlush(server: s, after: flush, events: &events) }
        return true
    }

    private func scheduleFlush(server s: Int, after time: Int64, events: inout EventQueue) {
        events.schedule(after: servers[s].stretched(time),
                        EventKind.flushDone.payload(ServerID(database: index, server: s).packed, generation: servers[s].epoch))
    }

    /// The redo-log flush at server `s` of `epoch` ended (a flush of an epoch before a crash is
    /// ignored: returns 0). Returns how many commits are durable: the caller takes each with
    /// ``takeDurable(server:at:)`` and finishes its query, then calls ``startNextFlush(server:events:)``.
    package mutating func flushEnded(server s: Int, generation: UInt32, at now: Int64) -> Int {
        guard servers[s].epoch & 0xFF_FFFF == generation else { return 0 }
        return servers[s].flushEnded(counted: now >= measuredFrom)
    }

    package mutating func takeDurable(server s: Int, at now: Int64) -> TaskID {
        servers[s].takeDurable(at: now, counted: now >= measuredFrom)
    }

    package mutating func startNextFlush(server s: Int, events: inout EventQueue) {
        if let flush = servers[s].startNextFlush() { scheduleFlush(server: s, after: flush, events: &events) }
    }

    /// What became of a query whose execution time is over.
    package enum Finish {
        /// Its server crashed after it started: it was lost (its task was failed then).
        case lost
        /// Done; its connection went to `handoff` (a waiting query) if not nil, and its row's
        /// lock (a `lock: row` write) to `lockHandoff`.
        case done(handoff: Handoff?, lockHandoff: Handoff?)
    }

    /// A query started at server `s` in `epoch` ends: unless the server crashed since, a write
    /// commits and is shipped to the replicas, and the connection goes to the next apply job or
    /// waiting query.
    package mutating func finishQuery(server s: Int, epoch: UInt32, isWrite: Bool, key: UInt64?, locked: Bool,
                                      at now: Int64, events: inout EventQueue) -> Finish {
        guard servers[s].epoch == epoch else { return .lost }
        servers[s].finishQuery(isWrite: isWrite, counted: now >= measuredFrom)
        noteOpen(s)
        if isWrite { commit(key: key, at: now, events: &events) }
        var lockHandoff: Handoff?
        if locked, let key, case .task(let next, let waited) = servers[s].releaseRowLock(key: key, at: now) {
            lockHandoff = Handoff(task: next, waited: waited)
        }
        return .done(handoff: releaseConnection(server: s, at: now, events: &events), lockHandoff: lockHandoff)
    }

    /// Hands a freed connection to the next in line — a waiting apply job first (replication
    /// threads are not behind the clients in the pool's queue), then the longest-waiting query
    /// (returned) — or back to the pool.
    package mutating func releaseConnection(server s: Int, at now: Int64, events: inout EventQueue) -> Handoff? {
        while true {
            switch servers[s].releaseConnection(at: now) {
            case .freed: return nil
            case .task(let task, let waited): return Handoff(task: task, waited: waited)
            case .urgent:
                // An apply job takes it; with nothing left to apply it is released again.
                if startApply(server: s, events: &events) { return nil }
            }
        }
    }

    // MARK: Replication

    /// The primary commits a write of `key` (if any): the next sequence number, shipped in
    /// order to each replica.
    package mutating func commit(key: UInt64?, at now: Int64, events: inout EventQueue) {
        let seq = record(key: key)
        for s in servers.indices where s != primary && servers[s].role == .replica {
            let arrival = servers[s].ship(.init(seq: seq, committedAt: now, key: key ?? .max), lag: lag.sample(), at: now)
            events.schedule(at: arrival, EventKind.shipArrive.payload(ServerID(database: index, server: s).packed,
                                                                      generation: servers[s].shipEpoch))
        }
    }

    /// Records a committed write of `key` (if any); returns its sequence number.
    package mutating func record(key: UInt64?) -> Int64 {
        committed += 1
        // Only reads at replicas can be stale, and nobody reads a fresh key.
        if let key, readsFromReplicas, !KeyId.isFresh(key) { lastWrite.set(key, committed) }
        return committed
    }

    /// Whether a read of `key` at server `s` now would miss a committed write.
    /// (`mutating` only so that the server is read in place, never copied.)
    package mutating func isStale(key: UInt64, at s: Int) -> Bool {
        guard let last = lastWrite[key] else { return false }
        return last > servers[s].visible
    }

    /// A shipped write reaches replica `s`'s relay log (in commit order: arrivals are FIFO). The
    /// replication lag models the binlog's whole way, sending included: a write still on its way
    /// when the primary crashed had not left it (its event is stale).
    package mutating func shipArrives(server s: Int, generation: UInt32, at now: Int64, events: inout EventQueue) {
        guard servers[s].shipmentArrives(generation: generation) else { return }
        startApplies(server: s, at: now, events: &events)
    }

    /// Starts apply jobs at replica `s` while there are relayed writes unclaimed and apply
    /// workers free; a job without a free connection waits ahead of the queries.
    package mutating func startApplies(server s: Int, at now: Int64, events: inout EventQueue) {
        while servers[s].wantsApplyJob(workers: applyWorkers) {
            if servers[s].requestApplyConnection(at: now) { _ = startApply(server: s, events: &events) }
        }
    }

    /// An apply job holding a connection at `s` takes the next relayed write and schedules its
    /// end. False when there was nothing to apply (the connection is still held).
    package mutating func startApply(server s: Int, events: inout EventQueue) -> Bool {
        guard let job = servers[s].startApply() else { return false }
        if !onHost.isEmpty && onHost[s] {
            // CPU work of a host machine: the simulation takes it from here (``takeHostApply()``).
            hostApplies.append((s, job.token, job.time))
            return true
        }
        events.schedule(after: job.time, EventKind.applyDone.payload(ServerID(database: index, server: s).packed,
                                                                     generation: job.token))
        return true
    }

    /// Places servers on host machines (`flags[s]`: server s runs on one).
    package mutating func placeOnHosts(_ flags: [Bool]) {
        onHost = flags
        for s in servers.indices { servers[s].onHost = flags[s] }
    }

    /// The next apply job started on a server placed on a host: its server, token and time.
    package mutating func takeHostApply() -> (server: Int, token: UInt32, time: Int64)? {
        hostApplies.isEmpty ? nil : hostApplies.removeFirst()
    }

    /// An apply job at replica `s` finished: its write (and any before it) become visible and its
    /// connection goes to the next in line (`handoff`: a query handed it). The caller then starts
    /// that query and calls ``startApplies(server:at:events:)``. `accepted` is false for a job
    /// lost in a crash (nothing happens).
    package mutating func applyDone(server s: Int, token: UInt32, at now: Int64,
                            events: inout EventQueue) -> (accepted: Bool, handoff: Handoff?) {
        guard servers[s].applyDone(token: token, at: now, counted: now >= measuredFrom) else { return (false, nil) }
        return (true, releaseConnection(server: s, at: now, events: &events))
    }

    // MARK: Faults and failover

    /// Server `s` crashes: its queries are lost (the caller fails their tasks); a replica's apply
    /// work in progress goes back to its relay log; if it is the primary, what it had not
    /// shipped yet stays with it. Returns whether it was the primary.
    package mutating func crash(server s: Int, at now: Int64) -> Bool {
        servers[s].crash(at: now)
        noteOpen(s)
        refreshCandidates()
        guard s == primary else { return false }
        for r in servers.indices where r != s { servers[r].holdShipments() }
        return true
    }

    /// Server `s` is back. A primary re-ships what it held; a failed-over primary rejoins as a
    /// replica, re-cloned from the new primary; a replica resumes applying.
    package mutating func recover(server s: Int, at now: Int64, events: inout EventQueue) {
        servers[s].recover()
        if s == primary {
            for r in servers.indices where r != s {
                while let write = servers[r].takeHeld() {
                    let arrival = servers[r].ship(write, lag: lag.sample(), at: now)
                    events.schedule(at: arrival, EventKind.shipArrive.payload(ServerID(database: index, server: r).packed,
                                                                              generation: servers[r].shipEpoch))
                }
            }
        }
        if s != primary && servers[s].role == .primary { servers[s].rejoinAsReplica(committed: committed) }
        refreshCandidates()
        startApplies(server: s, at: now, events: &events)
    }

    /// Promotes the most up-to-date replica that is up (ties: the lowest index) if the primary
    /// is still down. Writes it had not applied are lost.
    package mutating func failover(at now: Int64) {
        let old = primary
        guard servers[old].down else { return }
        var promoted = -1
        for s in servers.indices where s != old && servers[s].isUpReplica {
            if promoted < 0 || servers[s].visible > servers[promoted].visible { promoted = s }
        }
        guard promoted >= 0 else { return }
        let survived = servers[promoted].visible
        if now >= measuredFrom { lostWrites += Int(committed - survived) }
        committed = survived
        lastWrite.updateValues { min($0, survived) }
        servers[promoted].promote()
        primary = promoted
        refreshCandidates()
        for s in servers.indices where s != promoted && servers[s].role == .replica { servers[s].truncate(after: survived) }
    }

    /// Server `s`'s times are multiplied by `factor` (1: normal again).
    package mutating func slow(server s: Int, by factor: Double) { servers[s].slowFactor = factor }

    // MARK: Results

    package mutating func restartGauges(at now: Int64) {
        for s in servers.indices { servers[s].restartGauges(at: now) }
    }

    /// Work queued at the servers and slots of per-key state: memory diagnostics.
    package var queuedWork: Int { servers.reduce(0) { $0 + $1.queuedWork } }
    package var lastWriteSlots: Int { lastWrite.slots }

    package func result(seconds: Double, end: Int64) -> DatabaseResult {
        DatabaseResult(database: database, shard: shard,
                       servers: servers.map { $0.result(seconds: seconds, end: end, committed: committed) },
                       lostWrites: lostWrites)
    }
}
