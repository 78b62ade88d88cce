// SPDX-License-Identifier: GPL-3.0-or-later

/// Faults: a `crash` or a `slow`down of a service instance, a cache node, a replica or the
/// primary, from `at` for `for`; health checks; failover of a crashed primary.
extension Simulation {
    func scheduleFaults() {
        for (i, fault) in scenario.faults.enumerated() {
            events.schedule(at: fault.at, EventKind.faultStarts.payload(i))
            if let duration = fault.duration { events.schedule(at: fault.at + duration, EventKind.faultEnds.payload(i)) }
        }
    }

    func faultStarts(_ i: Int) {
        let fault = scenario.faults[i]
        switch (fault.kind, fault.target) {
        case (.slow(let factor), .serviceInstance(let s, let n)): instances[firstInstance[s] + n].slowFactor = factor
        case (.slow(let factor), .cacheNode(let c, let n)): caches[c].nodes[n].slowFactor = factor
        case (.slow(let factor), .primary(let d)): databases[d].servers[0].slowFactor = factor
        case (.slow(let factor), .replica(let d, let r)): databases[d].servers[r + 1].slowFactor = factor
        case (.crash, .serviceInstance(let s, let n)): crashInstance(firstInstance[s] + n)
        case (.crash, .cacheNode(let c, let n)):
            caches[c].nodes[n].down = true
            caches[c].nodes[n].store.removeAll()
        case (.crash, .primary(let d)): crashDatabaseServer(database: d, server: 0)
        case (.crash, .replica(let d, let r)): crashDatabaseServer(database: d, server: r + 1)
        }
    }

    func faultEnds(_ i: Int) {
        let fault = scenario.faults[i]
        switch (fault.kind, fault.target) {
        case (.slow, .serviceInstance(let s, let n)): instances[firstInstance[s] + n].slowFactor = 1
        case (.slow, .cacheNode(let c, let n)): caches[c].nodes[n].slowFactor = 1
        case (.slow, .primary(let d)): databases[d].servers[0].slowFactor = 1
        case (.slow, .replica(let d, let r)): databases[d].servers[r + 1].slowFactor = 1
        case (.crash, .serviceInstance(let s, let n)):
            let inst = firstInstance[s] + n
            instances[inst].down = false
            // The balancer sends to it again after the next health check passes.
            let interval = scenario.architecture.services[s].healthCheck.interval
            let nextProbe = (events.now + interval - 1) / interval * interval
            events.schedule(at: nextProbe, EventKind.healthUp.payload(inst))
        case (.crash, .cacheNode(let c, let n)): caches[c].nodes[n].down = false
        case (.crash, .primary(let d)): recoverDatabaseServer(database: d, server: 0)
        case (.crash, .replica(let d, let r)): recoverDatabaseServer(database: d, server: r + 1)
        }
    }

    // MARK: Service instances

    /// An instance crashes: everything on it is lost. Waiting callers get an error now (their
    /// retries may go elsewhere); its work in progress is abandoned. The balancer keeps sending
    /// to it — and those requests fail — until the health check notices.
    func crashInstance(_ inst: Int) {
        let s = Int(instances[inst].service)
        let now = events.now
        instances[inst].down = true
        instances[inst].completionGeneration &+= 1
        recorder.queued(service: s, delta: -Double(instances[inst].queue.count), at: now)
        for _ in 0..<instances[inst].busy { recorder.workerReleased(service: s, at: now) }
        instances[inst].queue.removeAll()
        instances[inst].computing.removeAll()
        instances[inst].busy = 0
        instances[inst].open = 0
        // Tasks on it, in index order (deterministic).
        scratch.removeAll(keepingCapacity: true)
        for t in tasks.indices where tasks[t].alive && !tasks[t].killed && tasks[t].instance == Int32(inst) {
            scratch.append(Int32(t))
        }
        let victims = scratch
        for t in victims {
            let ti = Int(t)
            let parent = tasks[ti].parent
            tasks[ti].killed = true
            tasks[ti].holdsWorker = false
            tasks[ti].parent = Task.detached
            if !tasks[ti].isBranch {
                if parent == Task.client {
                    finishRequest(tasks[ti].request, failure: .failed)
                } else if parent >= 0 && !tasks[Int(parent)].killed {
                    tasks[Int(parent)].child = -1
                    callEnded(parent, failure: .failed)
                }
            }
        }
        // Tasks with no event of their own pending are freed now; the others when it comes.
        for t in victims {
            let ti = Int(t)
            if tasks[ti].queued || tasks[ti].sharing || (tasks[ti].pending > 0 && tasks[ti].child < 0) {
                tasks[ti].queued = false; tasks[ti].sharing = false
                freeTask(t)
            }
        }
        // Branches of a freed parent must not report back to it.
        for t in victims where tasks[Int(t)].alive && tasks[Int(t)].isBranch { tasks[Int(t)].parent = Task.detached }
        let check = scenario.architecture.services[s].healthCheck
        let firstFailedProbe = (now + check.interval - 1) / check.interval * check.interval
        events.schedule(at: firstFailedProbe + Int64(check.unhealthyAfter - 1) * check.interval,
                        EventKind.healthDown.payload(inst))
    }

    /// The health check has failed `unhealthy_after` times in a row: the balancer stops sending.
    func healthDown(_ inst: Int) {
        if instances[inst].down { instances[inst].balancerSendsTo = false }
    }

    /// A probe passes: the balancer sends to the instance again.
    func healthUp(_ inst: Int) {
        if !instances[inst].down && instances[inst].active { instances[inst].balancerSendsTo = true }
    }

    // MARK: Databases

    /// A database server crashes: its queries fail now; a replica's apply work in progress goes
    /// back to its relay log; a primary's writes fail until it is back or a replica is promoted.
    func crashDatabaseServer(database d: Int, server s: Int) {
        let now = events.now
        var server = databases[d].servers[s]
        server.down = true
        server.epoch &+= 1
        server.busyGauge.add(-Double(server.busy), at: now)
        server.queueGauge.add(-Double(server.queue.count), at: now)
        server.busy = 0
        server.open = 0
        server.queue.removeAll()
        server.applyQueued = 0
        server.applyRunning = 0
        while let job = server.applying.popLast() { server.relay.prepend((job.seq, job.committedAt)) }
        databases[d].servers[s] = server
        failDatabaseWaiters(database: d, server: s)
        if s == databases[d].primary {
            // What the primary had not sent yet stays with it.
            for r in databases[d].servers.indices where r != s {
                databases[d].servers[r].held.append(contentsOf: databases[d].servers[r].shipping)
                databases[d].servers[r].shipping.removeAll()
                databases[d].servers[r].shipEpoch &+= 1
            }
            if let after = databases[d].failoverAfter { events.schedule(after: after, EventKind.failover.payload(d)) }
        }
    }

    /// Fails the queries that were waiting on or running at a crashed server.
    func failDatabaseWaiters(database d: Int, server s: Int) {
        for t in tasks.indices where tasks[t].alive && tasks[t].atDatabase
            && tasks[t].database == Int32(d) && tasks[t].server == Int32(s) {
            if tasks[t].failure == .ok { tasks[t].failure = .failed }
            queryAnswered(Int32(t))
        }
    }

    func recoverDatabaseServer(database d: Int, server s: Int) {
        databases[d].servers[s].down = false
        if s == databases[d].primary {
            for r in databases[d].servers.indices where r != s { reship(database: d, server: r) }
        }
        if s != databases[d].primary && databases[d].servers[s].role == .primary {
            // A failed-over primary comes back as a replica, re-cloned from the new primary.
            databases[d].servers[s].role = .replica
            databases[d].servers[s].visible = databases[d].committed
            databases[d].servers[s].relay.removeAll()
            databases[d].servers[s].shipping.removeAll()
        }
        startApplies(database: d, server: s)
    }

    /// Promotes the most up-to-date replica (ties: the lowest index) if the primary is still
    /// down. Writes it had not applied are lost.
    func failover(database d: Int) {
        let old = databases[d].primary
        guard databases[d].servers[old].down else { return }
        let candidates = databases[d].servers.indices.filter { $0 != old && databases[d].servers[$0].role == .replica && !databases[d].servers[$0].down }
        guard let promoted = candidates.max(by: { databases[d].servers[$0].visible < databases[d].servers[$1].visible || (databases[d].servers[$0].visible == databases[d].servers[$1].visible && $0 > $1) }) else { return }
        let survived = databases[d].servers[promoted].visible
        let lost = databases[d].committed - survived
        if events.now >= warmupEnd { databases[d].lostWrites += Int(lost) }
        databases[d].committed = survived
        for space in databases[d].lastWrite.indices {
            for k in databases[d].lastWrite[space].indices where databases[d].lastWrite[space][k] > survived {
                databases[d].lastWrite[space][k] = survived
            }
        }
        databases[d].servers[promoted].role = .primary
        databases[d].servers[promoted].relay.removeAll()
        databases[d].servers[promoted].shipping.removeAll()
        databases[d].primary = promoted
        for s in databases[d].servers.indices where s != promoted && databases[d].servers[s].role == .replica {
            // Drop what the new primary never had; nothing beyond it stays visible.
            databases[d].servers[s].visible = min(databases[d].servers[s].visible, survived)
            databases[d].servers[s].relay.removeAll { $0.seq > survived }
            databases[d].servers[s].shipping.removeAll { $0.seq > survived }
            databases[d].servers[s].held.removeAll()
        }
    }
}
