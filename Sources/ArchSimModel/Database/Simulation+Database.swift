// SPDX-License-Identifier: GPL-3.0-or-later

/// Database steps and replication: `db_read` / `db_write` through a connection pool, ordered
/// shipping of committed writes to the replicas, applying them, stale reads.
extension Simulation {
    /// A query reaches its database: reads go to a replica (balanced) unless strong or the
    /// database reads from its primary; writes go to the primary. A server that is down fails it.
    func databaseArrive(_ t: Int32) {
        let ti = Int(t)
        let d = Int(tasks[ti].database)
        let instruction = program.code[Int(tasks[ti].pc) - 1]
        var s = databases[d].primary
        if instruction.op == .dbRead && instruction.b == 0 && databases[d].readsFromReplicas,
           let replica = databases[d].replicaForRead() {
            s = replica
        }
        tasks[ti].server = Int32(s)
        tasks[ti].generation &+= 1
        tasks[ti].atDatabase = true
        guard !databases[d].servers[s].down else {
            tasks[ti].failure = .failed
            return queryAnswered(t)
        }
        databases[d].servers[s].open += 1
        if databases[d].servers[s].busy < databases[d].servers[s].connections {
            takeConnection(database: d, server: s)
            startQuery(t, database: d, server: s, waited: 0)
        } else {
            tasks[ti].queuedAt = events.now
            databases[d].servers[s].queue.append(t)
            databases[d].servers[s].queueGauge.add(1, at: events.now)
        }
    }

    func takeConnection(database d: Int, server s: Int) {
        databases[d].servers[s].busy += 1
        databases[d].servers[s].busyGauge.add(1, at: events.now)
    }

    /// A query holding a connection runs for its read or write time.
    func startQuery(_ t: Int32, database d: Int, server s: Int, waited: Int64) {
        let ti = Int(t)
        let now = events.now
        if now >= warmupEnd { databases[d].servers[s].wait.record(waited) }
        let instruction = program.code[Int(tasks[ti].pc) - 1]
        let isRead = instruction.op == .dbRead
        var time = isRead ? databases[d].servers[s].read.sample() : databases[d].servers[s].write.sample()
        if databases[d].servers[s].slowFactor != 1 { time = Int64((Double(time) * databases[d].servers[s].slowFactor).rounded()) }
        if isRead && s != databases[d].primary, let key = requests[Int(tasks[ti].request)].optionalKey,
           databases[d].isStale(key: key, at: s) {
            let request = Int(tasks[ti].request)
            if now >= warmupEnd { databases[d].servers[s].staleReads += 1 }
            recorder.staleRead(type: Int(requests[request].type), measured: requests[request].measured)
        }
        tasks[ti].serverEpoch = databases[d].servers[s].epoch
        events.schedule(after: time, EventKind.queryDone.payload(ti, generation: tasks[ti].generation))
    }

    /// A query finished: a write commits (and is shipped to the replicas); the connection goes to
    /// the next waiting query or apply job; the answer travels back.
    func queryDone(_ t: Int32, generation: UInt32) {
        let ti = Int(t)
        guard tasks[ti].alive, tasks[ti].generation & 0xFF_FFFF == generation else { return }
        let d = Int(tasks[ti].database), s = Int(tasks[ti].server)
        guard tasks[ti].serverEpoch == databases[d].servers[s].epoch else { return }  // lost in a crash
        let isWrite = program.code[Int(tasks[ti].pc) - 1].op == .dbWrite
        if events.now >= warmupEnd {
            databases[d].servers[s].served += 1
            if !isWrite { databases[d].servers[s].reads += 1 }
        }
        if isWrite { commitWrite(database: d, key: requests[Int(tasks[ti].request)].optionalKey) }
        databases[d].servers[s].open -= 1
        releaseConnection(database: d, server: s)
        queryAnswered(t)
    }

    func queryAnswered(_ t: Int32) {
        tasks[Int(t)].generation &+= 1
        tasks[Int(t)].atDatabase = false
        events.schedule(after: hopTime(), EventKind.resume.payload(Int(t)))
    }

    /// Hands a freed connection to the next in line — a waiting apply job first (replication
    /// threads are not behind the clients in the pool's queue: a busy replica still applies the
    /// log, at up to `apply_workers` at once), then the longest-waiting query — or back to the pool.
    func releaseConnection(database d: Int, server s: Int) {
        let now = events.now
        if databases[d].servers[s].applyQueued > 0 {
            databases[d].servers[s].applyQueued -= 1
            startApply(database: d, server: s)
        } else if let next = databases[d].servers[s].queue.popFirst() {
            databases[d].servers[s].queueGauge.add(-1, at: now)
            startQuery(next, database: d, server: s, waited: now - tasks[Int(next)].queuedAt)
        } else {
            databases[d].servers[s].busy -= 1
            databases[d].servers[s].busyGauge.add(-1, at: now)
        }
    }

    // MARK: Replication

    /// The primary commits a write: the next sequence number, shipped in order to each replica.
    func commitWrite(database d: Int, key: UInt64?) {
        let seq = databases[d].commit(key: key)
        let now = events.now
        for s in databases[d].servers.indices where s != databases[d].primary && databases[d].servers[s].role == .replica {
            let arrival = max(databases[d].servers[s].lastArrival, now + databases[d].lag.sample())
            databases[d].servers[s].lastArrival = arrival
            databases[d].servers[s].shipping.append((seq, now))
            events.schedule(at: arrival, EventKind.shipArrive.payload(d << 16 | s, generation: databases[d].servers[s].shipEpoch))
        }
    }

    /// Ships held writes again (the primary is back), in order, each after a fresh lag.
    func reship(database d: Int, server s: Int) {
        let now = events.now
        while let write = databases[d].servers[s].held.popFirst() {
            let arrival = max(databases[d].servers[s].lastArrival, now + databases[d].lag.sample())
            databases[d].servers[s].lastArrival = arrival
            databases[d].servers[s].shipping.append(write)
            events.schedule(at: arrival, EventKind.shipArrive.payload(d << 16 | s, generation: databases[d].servers[s].shipEpoch))
        }
    }

    /// A shipped write reaches a replica's relay log (in commit order: arrivals are FIFO). The
    /// replication lag models the binlog's whole way, sending included: a write still on its way
    /// when the primary crashes had not left it.
    func shipArrive(_ code: Int, generation: UInt32) {
        let d = code >> 16, s = code & 0xFFFF
        guard databases[d].servers[s].shipEpoch & 0xFF_FFFF == generation,
              let write = databases[d].servers[s].shipping.popFirst() else { return }
        databases[d].servers[s].relay.append(write)
        startApplies(database: d, server: s)
    }

    /// Starts apply jobs while there are relayed writes unclaimed and apply workers free.
    func startApplies(database d: Int, server s: Int) {
        guard !databases[d].servers[s].down else { return }
        while databases[d].servers[s].applyQueued + databases[d].servers[s].applyRunning < databases[d].applyWorkers,
              databases[d].servers[s].relay.count > databases[d].servers[s].applyQueued {
            if databases[d].servers[s].busy < databases[d].servers[s].connections {
                takeConnection(database: d, server: s)
                startApply(database: d, server: s)
            } else {
                databases[d].servers[s].applyQueued += 1
            }
        }
    }

    /// An apply job holding a connection takes the next relayed write.
    func startApply(database d: Int, server s: Int) {
        guard let write = databases[d].servers[s].relay.popFirst() else {
            return releaseConnection(database: d, server: s)
        }
        databases[d].servers[s].applyRunning += 1
        databases[d].servers[s].applyToken &+= 1
        let token = databases[d].servers[s].applyToken & 0xFF_FFFF
        databases[d].servers[s].applying.append((write.seq, write.committedAt, token, false))
        var time = databases[d].servers[s].write.sample()
        if databases[d].servers[s].slowFactor != 1 { time = Int64((Double(time) * databases[d].servers[s].slowFactor).rounded()) }
        events.schedule(after: time, EventKind.applyDone.payload(d << 16 | s, generation: token))
    }

    /// A write is applied; writes become visible in commit order.
    func applyDone(_ code: Int, token: UInt32) {
        let d = code >> 16, s = code & 0xFFFF
        // Tokens are consecutive in `applying`, so the entry's index is its distance from the first. O(1).
        guard let first = databases[d].servers[s].applying.first else { return }
        let k = Int((token &- first.token) & 0xFF_FFFF)
        guard k < databases[d].servers[s].applying.count, databases[d].servers[s].applying[k].token == token else { return } // lost in a crash
        databases[d].servers[s].applying[k].done = true
        databases[d].servers[s].applyRunning -= 1
        let now = events.now
        while let first = databases[d].servers[s].applying.first, first.done {
            databases[d].servers[s].applying.removeFirst()
            if first.seq != databases[d].servers[s].visible + 1 { databases[d].servers[s].orderViolations += 1 }
            databases[d].servers[s].visible = first.seq
            if now >= warmupEnd { databases[d].servers[s].lag.record(now - first.committedAt) }
        }
        releaseConnection(database: d, server: s)
        startApplies(database: d, server: s)
    }
}
