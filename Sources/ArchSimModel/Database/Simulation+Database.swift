// SPDX-License-Identifier: GPL-3.0-or-later

/// Database steps: a `db_read` / `db_write` travels a hop to its database, where the
/// ``ReplicaSet`` routes it to a server, gives it a connection or queues it, runs it and
/// replicates it; its answer travels a hop back.
extension Simulation {
    /// The task's query (at `pc - 1`): whether it reads and whether it must read the primary.
    @inline(__always) func query(of t: TaskID) -> (database: Int, isRead: Bool, strong: Bool) {
        switch program.code[Int(tasks[t].pc) - 1] {
        case .dbRead(let d, let strong): return (Int(d), true, strong)
        case .dbWrite(let d): return (Int(d), false, false)
        default: preconditionFailure("not at a database step")
        }
    }

    /// A query reaches its database: the replica set routes it to a server, which fails it (down),
    /// runs it, or queues it.
    func databaseArrive(_ t: TaskID) {
        let q = query(of: t)
        let key = requests[tasks[t].request].optionalKey
        let s = databases[q.database].server(forRead: q.isRead, strong: q.strong, key: key)
        tasks[t].server = ServerID(database: q.database, server: s)
        tasks[t].generation &+= 1
        tasks[t].phase = .atDatabase
        switch databases[q.database].admit(t, server: s, at: events.now) {
        case .down:
            tasks[t].failure = .failed
            queryAnswered(t)
        case .granted: startQuery(t, waited: 0)
        case .queued: break
        }
    }

    /// A query holding a connection runs for its read or write time.
    func startQuery(_ t: TaskID, waited: Int64) {
        let q = query(of: t)
        let request = tasks[t].request
        let started = databases[q.database].startQuery(server: Int(tasks[t].server.server), isRead: q.isRead,
                                                       key: requests[request].optionalKey, waited: waited, at: events.now)
        if started.stale {
            recorder.staleRead(type: Int(requests[request].type), measured: requests[request].measured)
        }
        tasks[t].serverEpoch = started.epoch
        events.schedule(after: started.time, EventKind.queryDone.payload(t, generation: tasks[t].generation))
    }

    /// A query finished (unless its server crashed meanwhile): the replica set commits a write and
    /// passes the connection on; the answer travels back.
    func queryDone(_ t: TaskID, generation: UInt32) {
        guard tasks[t].alive, tasks[t].generation & 0xFF_FFFF == generation else { return }
        let q = query(of: t)
        let finish = databases[q.database].finishQuery(server: Int(tasks[t].server.server), epoch: tasks[t].serverEpoch,
                                                       isWrite: !q.isRead, key: requests[tasks[t].request].optionalKey,
                                                       at: events.now, events: &events)
        guard case .done(let handoff) = finish else { return }   // lost in a crash
        if let next = handoff { startQuery(next.task, waited: next.waited) }
        queryAnswered(t)
    }

    /// The query's answer (or failure) travels a hop back to the task.
    func queryAnswered(_ t: TaskID) {
        tasks[t].generation &+= 1
        tasks[t].phase = .running
        events.schedule(after: hopTime(), EventKind.resume.payload(t))
    }

    // MARK: Replication events

    func shipArrive(_ server: ServerID, generation: UInt32) {
        databases[Int(server.database)].shipArrives(server: Int(server.server), generation: generation,
                                                    at: events.now, events: &events)
    }

    func applyDone(_ server: ServerID, token: UInt32) {
        let d = Int(server.database), s = Int(server.server)
        let done = databases[d].applyDone(server: s, token: token, at: events.now, events: &events)
        guard done.accepted else { return }
        if let next = done.handoff { startQuery(next.task, waited: next.waited) }
        databases[d].startApplies(server: s, at: events.now, events: &events)
    }
}
