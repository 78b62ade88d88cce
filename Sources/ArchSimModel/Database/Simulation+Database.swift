// SPDX-License-Identifier: GPL-3.0-or-later

/// Database steps: a `db_read` / `db_write` travels a hop to its database, where the
/// ``ReplicaSet`` routes it to a server, gives it a connection or queues it, runs it and
/// replicates it; its answer travels a hop back.
extension Simulation {
    /// The task's query (at `pc - 1`): whether it reads, whether it must read the primary, its
    /// key operand, and its row lock (index into ``Program/lockTimeouts``, or -1).
    @inline(__always) func query(of t: TaskID) -> (database: Int, isRead: Bool, strong: Bool, key: Int32, lock: Int32) {
        switch program.code[Int(tasks[t].pc) - 1] {
        case .dbRead(let d, let strong, let key): return (Int(d), true, strong, key, -1)
        case .dbWrite(let d, let key, let lock): return (Int(d), false, false, key, lock)
        default: preconditionFailure("not at a database step")
        }
    }

    /// The row a query touches: the request's key, its key of a step key space, or a fresh one.
    func rowKey(_ t: TaskID, operand: Int32) -> UInt64? {
        let r = tasks[t].request
        switch operand {
        case Program.requestKey: return requests[r].optionalKey
        case Program.newKey:
            freshKeys += 1
            return KeyId.make(space: KeyId.freshSpace, id: freshKeys)
        default: return stepKey(r, Int(operand))
        }
    }

    /// The key of a query's row, fixed when it reached its database.
    @inline(__always) func rowKey(_ t: TaskID) -> UInt64? { tasks[t].rowKey == .max ? nil : tasks[t].rowKey }

    /// A database step starts: its row's key picks the shard (a keyless query goes to shard 0);
    /// with a client pool to that shard the query first takes a connection (or waits for one,
    /// until the pool's `wait`), then travels a hop to the database.
    func databaseStep(_ t: TaskID, database: Int) {
        if tracksPath { path.wait(t, for: .poolWait) }
        let q = query(of: t)
        let key = rowKey(t, operand: q.key)
        tasks[t].rowKey = key ?? .max
        let shards = shardCount[database]
        let shard = shards == 1 ? 0 : key.map { Database.shard(of: $0, shards: shards) } ?? 0
        tasks[t].server = ServerID(database: shardBase[database] + shard, server: -1)
        if hasClientPools {
            let s = Int(tasks[t].service)
            let p = clientPools.pool(instance: Int(tasks[t].instance.index), service: s, database: database, shard: shard)
            if p >= 0 {
                guard clientPools.acquire(t, pool: p, service: s, at: events.now, counted: events.now >= warmupEnd) else {
                    tasks[t].phase = .waitingForConnection
                    let limit = clientPools.waitLimit(service: s, database: database)
                    if limit > 0 { events.scheduleTimeout(after: limit, EventKind.poolTimeout.payload(t, generation: tasks[t].generation)) }
                    return
                }
                tasks[t].holdsConnection = true
            }
        }
        sendQuery(t)
    }

    /// The query leaves its instance: a hop to its database.
    private func sendQuery(_ t: TaskID) {
        if tracksPath { path.close(t, as: .poolWait, at: events.now); path.wait(t, for: .network) }
        if let hop { events.schedule(after: hop.sample(), EventKind.dbArrive.payload(t)) } else { databaseArrive(t) }
    }

    /// The client pool task `t` takes (or took) its connection from.
    private func clientPool(of t: TaskID) -> (pool: Int, service: Int) {
        let d = query(of: t).database, s = Int(tasks[t].service)
        let shard = Int(tasks[t].server.database) - shardBase[d]
        return (clientPools.pool(instance: Int(tasks[t].instance.index), service: s, database: d, shard: shard), s)
    }

    /// A pool wait reached its limit: if the task still waits, its request fails (a timeout).
    func poolTimeout(_ t: TaskID, generation: UInt32) {
        guard tasks[t].alive, tasks[t].phase == .waitingForConnection, tasks[t].generation & 0xFF_FFFF == generation else { return }
        guard clientPools.cancel(t, pool: clientPool(of: t).pool, at: events.now) else { return }
        tasks[t].phase = .running
        tasks[t].failure = .timeout
        resume(t)
    }

    /// The query's answer is back at its instance: its pool connection goes to the next waiting
    /// query (which leaves now), and the task goes on.
    func queryReturned(_ t: TaskID) {
        tasks[t].holdsConnection = false
        let (p, s) = clientPool(of: t)
        if let next = clientPools.release(pool: p, service: s, at: events.now, counted: events.now >= warmupEnd) {
            tasks[next.task].phase = .running
            tasks[next.task].holdsConnection = true
            sendQuery(next.task)
        }
        resume(t)
    }

    /// A query reaches its shard's replica set, which routes it to a server, which fails it
    /// (down), runs it, or queues it.
    func databaseArrive(_ t: TaskID) {
        if tracksPath { path.close(t, as: .network, at: events.now); path.wait(t, for: .dbQueue) }
        let q = query(of: t)
        let key = rowKey(t)
        let d = Int(tasks[t].server.database)
        let s = databases[d].server(forRead: q.isRead, strong: q.strong, key: key)
        tasks[t].server = ServerID(database: d, server: s)
        tasks[t].generation &+= 1
        tasks[t].phase = .atDatabase
        switch databases[d].admit(t, server: s, at: events.now) {
        case .down:
            tasks[t].failure = .failed
            queryAnswered(t)
        case .granted: startQuery(t, waited: 0)
        case .queued: break
        case .rejected:
            tasks[t].failure = .rejected
            queryAnswered(t)
        }
    }

    /// A query holding a connection runs for its read or write time; a read whose row missed
    /// the buffer pool first reads it from disk (or waits for a disk); a `lock: row` write
    /// first takes its row's lock (or waits for it, until its `lock_timeout`).
    func startQuery(_ t: TaskID, waited: Int64) {
        if tracksPath { path.close(t, as: .dbQueue, at: events.now) }
        let q = query(of: t)
        let request = tasks[t].request
        let started = databases[Int(tasks[t].server.database)].startQuery(t, server: Int(tasks[t].server.server), isRead: q.isRead,
                                                       key: rowKey(t), locks: q.lock >= 0, waited: waited, at: events.now)
        if started.stale {
            recorder.staleRead(type: Int(requests[request].type), measured: requests[request].measured)
        }
        tasks[t].serverEpoch = started.epoch
        switch started.start {
        case .run(let time): execute(t, time)
        case .missThenRun(let total, let read):
            execute(t, total)
            // The disk read first, then the execution (one wait in the engine).
            if tracksPath { path.credit(t, .disk, total - read); path.wait(t, for: .query, work: read) }
        case .diskRead(let time):
            if tracksPath { path.wait(t, for: .disk) }
            events.schedule(after: time, EventKind.diskDone.payload(t, generation: tasks[t].generation))
        case .waitForDisk:
            if tracksPath { path.wait(t, for: .disk) }
        case .waitForLock:
            if tracksPath { path.wait(t, for: .lockWait) }
            let limit = program.lockTimeouts[Int(q.lock)]
            if limit > 0 { events.scheduleTimeout(after: limit, EventKind.lockTimeout.payload(t, generation: tasks[t].generation)) }
        }
    }

    /// A query executes for `time` ns: on its server's host machine, CPU work shared with
    /// everything there; otherwise a plain wait.
    @inline(__always) func execute(_ t: TaskID, _ time: Int64) {
        if tracksPath { path.wait(t, for: .query, work: time) }
        if hasHosts {
            let m = serverMachine[Int(tasks[t].server.database)][Int(tasks[t].server.server)]
            if m >= 0 { return compute(t, work: time, onMachine: Int(m)) }
        }
        events.schedule(after: time, EventKind.queryDone.payload(t, generation: tasks[t].generation))
    }

    /// A `lock: row` write that waited was handed its row's lock: it executes.
    func lockGranted(_ t: TaskID, waited: Int64) {
        if tracksPath { path.close(t, as: .lockWait, at: events.now) }
        let d = Int(tasks[t].server.database)
        let time = databases[d].startLockedWrite(server: Int(tasks[t].server.server), key: tasks[t].rowKey, waited: waited,
                                                 at: events.now)
        execute(t, time)
    }

    /// A row-lock wait reached its `lock_timeout`: if the write still waits, it gives up (its
    /// request fails with a timeout) and frees its connection.
    func lockTimeout(_ t: TaskID, generation: UInt32) {
        guard tasks[t].alive, tasks[t].generation & 0xFF_FFFF == generation else { return }
        let d = Int(tasks[t].server.database)
        let left = databases[d].abandonLockWait(t, server: Int(tasks[t].server.server), key: tasks[t].rowKey,
                                                at: events.now, events: &events)
        guard left.gaveUp else { return }
        if hasHosts { drainHostApplies(d) }
        if let next = left.handoff { startQuery(next.task, waited: next.waited) }
        tasks[t].failure = .timeout
        queryAnswered(t)
    }

    /// A read's disk read ended (unless its server crashed meanwhile: the task's generation moved
    /// on): the disk goes to the next waiting read, and this one executes.
    func diskDone(_ t: TaskID, generation: UInt32) {
        guard tasks[t].alive, tasks[t].generation & 0xFF_FFFF == generation else { return }
        if tracksPath { path.close(t, as: .disk, at: events.now) }
        let d = Int(tasks[t].server.database)
        let ended = databases[d].diskReadEnded(server: Int(tasks[t].server.server), at: events.now)
        if let next = ended.next {
            events.schedule(after: next.time, EventKind.diskDone.payload(next.task, generation: tasks[next.task].generation))
        }
        execute(t, ended.readTime)
    }

    /// A query finished (unless its server crashed meanwhile): a write at a server with a redo
    /// log waits for its flush; otherwise the replica set commits a write and passes the
    /// connection on, and the answer travels back.
    func queryDone(_ t: TaskID, generation: UInt32) {
        guard tasks[t].alive, tasks[t].generation & 0xFF_FFFF == generation else { return }
        if tracksPath { path.close(t, as: .query, at: events.now); path.wait(t, for: .commitFlush) }
        let q = query(of: t)
        let d = Int(tasks[t].server.database), s = Int(tasks[t].server.server)
        if !q.isRead && databases[d].hasRedoLog(server: s) {
            _ = databases[d].awaitCommit(t, server: s, epoch: tasks[t].serverEpoch, at: events.now, events: &events)
            return
        }
        finishQuery(t, database: d, isWrite: !q.isRead, locked: q.lock >= 0)
    }

    /// `t`'s query is over at its server (of replica set `d`): it commits (a write), frees its connection for the
    /// next in line, and its answer travels back.
    private func finishQuery(_ t: TaskID, database d: Int, isWrite: Bool, locked: Bool) {
        if tracksPath { path.close(t, as: .commitFlush, at: events.now) }
        let finish = databases[d].finishQuery(server: Int(tasks[t].server.server), epoch: tasks[t].serverEpoch,
                                              isWrite: isWrite, key: rowKey(t), locked: locked,
                                              at: events.now, events: &events)
        guard case .done(let handoff, let lockHandoff) = finish else { return }   // lost in a crash
        if hasHosts { drainHostApplies(d) }
        if let next = lockHandoff { lockGranted(next.task, waited: next.waited) }
        if let next = handoff { startQuery(next.task, waited: next.waited) }
        queryAnswered(t)
    }

    /// A redo-log flush ended (unless its server crashed since): the writes it took are durable,
    /// commit in order and answer; the next flush takes the commits that waited meanwhile.
    func flushDone(_ server: ServerID, generation: UInt32) {
        let d = Int(server.database), s = Int(server.server)
        let durable = databases[d].flushEnded(server: s, generation: generation, at: events.now)
        for _ in 0..<durable {
            let t = databases[d].takeDurable(server: s, at: events.now)
            finishQuery(t, database: d, isWrite: true, locked: query(of: t).lock >= 0)
        }
        if durable > 0 { databases[d].startNextFlush(server: s, events: &events) }
    }

    /// The query's answer (or failure) travels a hop back to the task.
    func queryAnswered(_ t: TaskID) {
        if tracksPath { path.wait(t, for: .network) }
        tasks[t].generation &+= 1
        tasks[t].phase = .running
        events.schedule(after: hopTime(), (tasks[t].holdsConnection ? EventKind.queryReturned : .resume).payload(t))
    }

    // MARK: Replication events

    func shipArrive(_ server: ServerID, generation: UInt32) {
        databases[Int(server.database)].shipArrives(server: Int(server.server), generation: generation,
                                                    at: events.now, events: &events)
        if hasHosts { drainHostApplies(Int(server.database)) }
    }

    func applyDone(_ server: ServerID, token: UInt32) {
        let d = Int(server.database), s = Int(server.server)
        let done = databases[d].applyDone(server: s, token: token, at: events.now, events: &events)
        guard done.accepted else { return }
        if let next = done.handoff { startQuery(next.task, waited: next.waited) }
        databases[d].startApplies(server: s, at: events.now, events: &events)
        if hasHosts { drainHostApplies(d) }
    }
}
