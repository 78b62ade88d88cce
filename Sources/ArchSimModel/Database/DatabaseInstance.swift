// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimStats
import DequeModule

/// One database server (primary or replica): a pool of connections with a FIFO queue of
/// queries, and for a replica, its replication state (what was shipped to it, relayed, applied
/// and is visible). The ``ReplicaSet`` drives it; the server owns its fields.
package struct DatabaseInstance {
    package enum Role { case primary, replica }
    /// A committed write on its way through replication: its sequence number and commit time.
    package struct Write {
        package var seq: Int64
        package var committedAt: Int64
        /// The row written (`.max` for none): a replica's apply brings it into its
        /// buffer pool.
        package var key: UInt64 = .max
    }
    /// A write being applied, or applied and waiting for earlier ones to become visible.
    package struct Apply {
        package var write: Write
        package var token: UInt32
        package var done: Bool
        /// Beyond what a failover kept: when done, it does not become visible.
        package var discarded = false
    }

    package let name: String
    package private(set) var role: Role
    /// Connections: queries executing at once; more wait in FIFO order. Apply jobs wait ahead of
    /// queries (urgent waiters).
    package private(set) var connections: Pool
    /// Queries present (executing or waiting) past which a query is rejected (`Int.max`: none).
    package let maxConnections: Int
    package let read: Sampler
    /// Write time at the primary; apply time of a replicated write at a replica.
    package let write: Sampler
    /// Queries present (waiting or executing): what the replica balancer compares.
    package private(set) var open = 0
    package private(set) var down = false
    /// Query and apply times are multiplied by this (a `slow` fault).
    package var slowFactor = 1.0
    /// Bumped by a crash: queries started before it are lost.
    package private(set) var epoch: UInt32 = 0
    /// Rows in memory; nil: every read costs `read` alone.
    package private(set) var bufferPool: BufferPoolCache?
    /// `bufferPool != nil`, and `log != nil`, kept apart so the hot path tests a Bool.
    private let hasBufferPool: Bool
    package let hasRedoLog: Bool
    /// Disk reads at once (nil: unbounded, no queue).
    package private(set) var disks: Pool?
    /// The redo log writes wait for; nil: a write is durable when it ends.
    package private(set) var log: RedoLog?
    /// Whether it runs on a host machine (its query times are the machine's CPU work).
    package var onHost = false
    /// Rows locked by `lock: row` writes.
    package private(set) var rowLocks = RowLocks()

    // Replication (replicas).
    /// Sequence number of the last write visible here (all earlier ones are too).
    package private(set) var visible: Int64 = 0
    /// Writes shipped and not yet arrived, in order.
    package private(set) var shipping = Deque<Write>()
    /// When the last shipped write arrives (shipping is FIFO: none overtakes it).
    private var lastArrival: Int64 = 0
    /// Bumped when the primary crashes: shipments on their way are held back (stale events ignored).
    package private(set) var shipEpoch: UInt32 = 0
    /// Writes not yet shipped when the primary crashed: re-sent when it comes back, lost if a
    /// replica is promoted instead.
    private var held = Deque<Write>()
    /// Writes arrived and not yet being applied, in order.
    package private(set) var relay = Deque<Write>()
    /// Apply jobs running (each holds a connection).
    private var applyRunning = 0
    /// Writes being applied or applied and waiting for earlier ones, in sequence order. A
    /// finished apply frees its connection at once.
    package private(set) var applying = Deque<Apply>()
    private var applyToken: UInt32 = 0
    /// Writes that became visible out of commit order: always 0 (an invariant the tests check).
    package private(set) var orderViolations = 0

    // Statistics after the warm-up.
    package private(set) var wait = LatencyHistogram()
    /// Waits for a disk of reads that missed the buffer pool (only with `disks`).
    package private(set) var diskWait = LatencyHistogram()
    /// Waits of `lock: row` writes for their row's lock (0 when free).
    package private(set) var lockWait = LatencyHistogram()
    /// Queries rejected past `maxConnections`.
    package private(set) var rejected = 0
    package private(set) var served = 0
    /// Reads among `served`.
    package private(set) var reads = 0
    package private(set) var staleReads = 0
    package private(set) var lag = LatencyHistogram()

    package init(_ server: DatabaseServer, role: Role, name: String, streams: RandomStreams) {
        self.name = name
        self.role = role
        connections = Pool(slots: server.connections)
        maxConnections = server.maxConnections ?? Int.max
        read = Sampler(distribution: server.read, stream: streams.stream("database.\(name).read"))
        write = Sampler(distribution: server.write, stream: streams.stream("database.\(name).write"))
        bufferPool = server.bufferPool.map { BufferPoolCache($0, name: name, streams: streams) }
        disks = server.disks.map { Pool(slots: $0) }
        log = server.commit.map { RedoLog($0, name: name, streams: streams) }
        hasBufferPool = server.bufferPool != nil
        hasRedoLog = server.commit != nil
    }

    package var isUpReplica: Bool { role == .replica && !down }

    // MARK: Queries

    /// A query arrives: it takes a connection now or waits for one, or is rejected when
    /// `maxConnections` queries are present already (`counted`: after the warm-up).
    package mutating func admit(_ task: TaskID, at now: Int64, counted: Bool) -> Pool.Admission {
        guard open < maxConnections else {
            if counted { rejected += 1 }
            return .rejected
        }
        open += 1
        return connections.acquire(task, at: now)
    }

    /// How a query that holds a connection goes on.
    package enum QueryStart {
        /// It executes for this long (ns).
        case run(Int64)
        /// Its row missed the buffer pool, with unbounded disks off a host: it reads the row and
        /// executes in one stretch of `total` ns, of which `read` is the execution.
        case missThenRun(total: Int64, read: Int64)
        /// Its row missed the buffer pool and it holds a disk for this long (ns); then it
        /// executes for its read time.
        case diskRead(Int64)
        /// Its row missed and it waits for a disk.
        case waitForDisk
        /// A `lock: row` write waits for its row's lock (holding its connection).
        case waitForLock
    }

    /// `task`'s query, holding a connection, starts: records its wait (`counted`: after the
    /// warm-up). A keyed read looks its row up in the buffer pool; a write brings its row in.
    @inline(__always)
    package mutating func startQuery(_ task: TaskID, isRead: Bool, key: UInt64?, locks: Bool, waited: Int64, at now: Int64,
                                     counted: Bool) -> QueryStart {
        if counted { wait.record(waited) }
        // The plain query first, touching no optional member: reading one copies it (and a
        // copy on this path costs a retain and a release per query).
        guard locks || hasBufferPool else { return .run(stretched(isRead ? read.sample() : write.sample())) }
        return startRowQuery(task, isRead: isRead, key: key, locks: locks, at: now, counted: counted)
    }

    /// ``startQuery(_:isRead:key:locks:waited:at:counted:)`` with a row lock or a buffer pool.
    @inline(never)
    private mutating func startRowQuery(_ task: TaskID, isRead: Bool, key: UInt64?, locks: Bool, at now: Int64,
                                        counted: Bool) -> QueryStart {
        if locks, let key {
            guard rowLocks.acquire(task, key: key, at: now) else { return .waitForLock }
            if counted { lockWait.record(0) }
        }
        guard bufferPool != nil, let key else { return .run(stretched(isRead ? read.sample() : write.sample())) }
        guard isRead else {
            bufferPool!.bringIn(key)
            return .run(stretched(write.sample()))
        }
        if bufferPool!.read(key, counted: counted) { return .run(stretched(read.sample())) }
        guard disks != nil else {
            // Unbounded disks: no queue. Off a host, the miss and the read in one stretch of
            // time; on one, the miss is a wait and only the read is CPU work.
            if onHost { return .diskRead(startDiskRead(waited: 0, counted: counted)) }
            let miss = bufferPool!.miss.sample(), time = read.sample()
            let total = stretched(Distribution.saturatingNanoseconds(Double(miss) + Double(time)))
            return .missThenRun(total: total, read: min(total, stretched(time)))
        }
        switch disks!.acquire(task, at: now) {
        case .granted: return .diskRead(startDiskRead(waited: 0, counted: counted))
        default: return .waitForDisk
        }
    }

    /// Brings a row into the buffer pool (out of line: see ``startQuery(_:isRead:key:locks:waited:at:counted:)``).
    @inline(never) private mutating func bringIn(_ key: UInt64) { bufferPool!.bringIn(key) }

    /// A write that waited `waited` ns was handed its row's lock: its write time.
    package mutating func startLockedWrite(key: UInt64, waited: Int64, counted: Bool) -> Int64 {
        if counted { lockWait.record(waited) }
        bufferPool?.bringIn(key)
        return stretched(write.sample())
    }

    /// A locked write is durable: the row's lock goes to the longest waiter, if any.
    package mutating func releaseRowLock(key: UInt64, at now: Int64) -> Pool.Handoff { rowLocks.release(key: key, at: now) }

    /// `task` gives up waiting for `key`'s lock (`lock_timeout`): true if it was waiting.
    package mutating func cancelLockWait(_ task: TaskID, key: UInt64, at now: Int64) -> Bool {
        rowLocks.cancel(task, key: key, at: now)
    }

    /// A query that gave up at the server (a lock wait past its limit) leaves it; its
    /// connection is released by the replica set.
    package mutating func abandonQuery() { open -= 1 }

    /// A read that waited `waited` ns was handed a disk: its disk read time.
    package mutating func startDiskRead(waited: Int64, counted: Bool) -> Int64 {
        if counted { diskWait.record(waited) }
        return stretched(bufferPool!.miss.sample())
    }

    /// A disk read ended: the disk goes to the next waiting read (the handoff), and the read
    /// that ended executes for the returned time.
    package mutating func diskReadEnded(at now: Int64) -> (handoff: Pool.Handoff, readTime: Int64) {
        let handoff = disks?.release(at: now) ?? .freed
        return (handoff, stretched(read.sample()))
    }

    /// A write that ended waits for its commit to be durable (a server with a redo log).
    /// Returns the length of a flush that starts now.
    package mutating func awaitCommit(_ task: TaskID, at now: Int64) -> Int64? { log!.append(task, at: now) }

    /// The redo log's flush ended: how many commits are durable (see ``RedoLog``).
    package mutating func flushEnded(counted: Bool) -> Int { log!.flushEnded(counted: counted) }
    package mutating func takeDurable(at now: Int64, counted: Bool) -> TaskID { log!.takeDurable(at: now, counted: counted) }
    package mutating func startNextFlush() -> Int64? { log!.startNextFlush() }

    /// A read here missed a committed write.
    package mutating func countStaleRead() { staleReads += 1 }

    /// A query finished (`counted`: after the warm-up). Its connection is released by the
    /// replica set.
    package mutating func finishQuery(isWrite: Bool, counted: Bool) {
        if counted {
            served += 1
            if !isWrite { reads += 1 }
        }
        open -= 1
    }

    @inline(__always) package func stretched(_ time: Int64) -> Int64 {
        slowFactor == 1 ? time : Distribution.saturatingNanoseconds(Double(time) * slowFactor)
    }

    /// Gives a connection back; see ``Pool/release(at:)``.
    package mutating func releaseConnection(at now: Int64) -> Pool.Handoff { connections.release(at: now) }

    // MARK: Replication (a replica)

    /// A committed write leaves the primary for this replica; it arrives after `lag`, never
    /// before the writes shipped earlier. Returns its arrival time.
    package mutating func ship(_ write: Write, lag: Int64, at now: Int64) -> Int64 {
        let arrival = max(lastArrival, now + lag)
        lastArrival = arrival
        shipping.append(write)
        return arrival
    }

    /// Writes held back while the primary was down, to ship again, in order.
    package mutating func takeHeld() -> Write? { held.popFirst() }

    /// The primary crashed: what it had not sent yet stays with it.
    package mutating func holdShipments() {
        held.append(contentsOf: shipping)
        shipping.removeAll()
        shipEpoch &+= 1
    }

    /// The next shipped write reaches the relay log (shipment of epoch `generation`; a stale one
    /// is ignored). Returns whether one arrived.
    package mutating func shipmentArrives(generation: UInt32) -> Bool {
        guard shipEpoch & 0xFF_FFFF == generation, let write = shipping.popFirst() else { return false }
        relay.append(write)
        return true
    }

    /// Whether another apply job may start: relayed writes unclaimed by waiting jobs, and fewer
    /// than `workers` jobs waiting or running. (`mutating` only so that it runs on the server in
    /// place: a non-mutating call on an array element may copy it, queues and all.)
    package mutating func wantsApplyJob(workers: Int) -> Bool {
        !down && connections.urgent + applyRunning < workers && relay.count > connections.urgent
    }

    /// An apply job asks for a connection: true if it has one now (then ``startApply()``), else
    /// it waits ahead of the queued queries.
    package mutating func requestApplyConnection(at now: Int64) -> Bool { connections.acquireUrgent(at: now) }

    /// An apply job holding a connection takes the next relayed write. Returns its token and
    /// apply time, or nil when the relay log is empty (the connection must be released).
    package mutating func startApply() -> (token: UInt32, time: Int64)? {
        guard let write = relay.popFirst() else { return nil }
        applyRunning += 1
        applyToken &+= 1
        let token = applyToken & 0xFF_FFFF
        applying.append(Apply(write: write, token: token, done: false))
        if hasBufferPool && write.key != .max { bringIn(write.key) }
        return (token, stretched(self.write.sample()))
    }

    /// The apply job of `token` finished (a token lost in a crash is ignored: returns false).
    /// Writes become visible in commit order; the lag of each is recorded (`counted`).
    package mutating func applyDone(token: UInt32, at now: Int64, counted: Bool) -> Bool {
        // Tokens are consecutive in `applying`, so the entry's index is its distance from the first. O(1).
        guard let first = applying.first else { return false }
        let k = Int((token &- first.token) & 0xFF_FFFF)
        guard k < applying.count, applying[k].token == token else { return false }
        applying[k].done = true
        applyRunning -= 1
        while let first = applying.first, first.done {
            applying.removeFirst()
            if first.discarded { continue }
            if first.write.seq != visible + 1 { orderViolations += 1 }
            visible = first.write.seq
            if counted { lag.record(now - first.write.committedAt) }
        }
        return true
    }

    // MARK: Faults and failover

    /// Crashes: queries waiting and executing are lost (the caller fails them); apply work in
    /// progress goes back to the relay log.
    package mutating func crash(at now: Int64) {
        down = true
        epoch &+= 1
        connections.clear(at: now)
        disks?.clear(at: now)
        log?.clear()
        rowLocks.clear()
        bufferPool?.clear()
        open = 0
        applyRunning = 0
        while let job = applying.popLast() { relay.prepend(job.write) }
    }

    package mutating func recover() { down = false }

    /// A failed-over primary comes back as a replica, re-cloned from the new primary (it sees
    /// every write up to `committed`).
    package mutating func rejoinAsReplica(committed: Int64) {
        role = .replica
        visible = committed
        relay.removeAll()
        shipping.removeAll()
    }

    /// Promoted to primary by a failover.
    package mutating func promote() {
        role = .primary
        relay.removeAll()
        shipping.removeAll()
    }

    /// After a failover to a primary that had applied writes up to `survived`: what it never had
    /// is dropped here too (a write being applied finishes but never becomes visible); nothing
    /// beyond it stays visible.
    package mutating func truncate(after survived: Int64) {
        visible = min(visible, survived)
        relay.removeAll { $0.seq > survived }
        shipping.removeAll { $0.seq > survived }
        held.removeAll()
        for k in applying.indices where applying[k].write.seq > survived { applying[k].discarded = true }
    }

    /// Work queued here (queries, relayed, shipping and applying writes): memory diagnostics.
    package var queuedWork: Int { connections.waiting.count + relay.count + shipping.count + applying.count }

    package mutating func restartGauges(at now: Int64) {
        connections.restartGauges(at: now)
        disks?.restartGauges(at: now)
    }

    package func result(seconds: Double, end: Int64, committed: Int64) -> DatabaseServerResult {
        DatabaseServerResult(throughput: Double(served) / seconds,
                             utilization: connections.busyGauge.mean(until: end) / Double(connections.slots),
                             meanWaitMs: wait.mean / 1e6, p99WaitMs: wait.percentile(99) / 1e6,
                             meanQueueLength: connections.queueGauge.mean(until: end), staleReads: staleReads,
                             lagP50Ms: lag.count > 0 ? lag.percentile(50) / 1e6 : nil,
                             lagP99Ms: lag.count > 0 ? lag.percentile(99) / 1e6 : nil,
                             served: served, reads: reads, orderViolations: orderViolations,
                             visible: visible, committed: committed, rejected: rejected,
                             hitRatio: bufferPool?.hitRatio,
                             diskWaitMs: disks == nil || diskWait.count == 0 ? nil : diskWait.mean / 1e6,
                             diskUtilization: disks.map { $0.busyGauge.mean(until: end) / Double($0.slots) },
                             commitMs: log.flatMap { $0.commitTime.count > 0 ? $0.commitTime.mean / 1e6 : nil },
                             flushBatch: log?.meanBatch,
                             lockWaitMs: lockWait.count > 0 ? lockWait.mean / 1e6 : nil,
                             p99LockWaitMs: lockWait.count > 0 ? lockWait.percentile(99) / 1e6 : nil)
    }
}
